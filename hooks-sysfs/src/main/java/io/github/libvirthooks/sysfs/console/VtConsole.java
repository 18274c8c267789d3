package io.github.libvirthooks.sysfs.console;

/**
 * One console driver in {@code /sys/class/vtconsole/vtconN}: its {@code name}
 * ({@code (S) dummy device}, {@code (M) frame buffer device}) and whether it is bound to the
 * virtual terminals ({@code bind}).
 *
 * @param id    the directory name, {@code vtcon1}
 * @param name  what the driver calls itself
 * @param bound true when {@code bind} reads 1
 */
public record VtConsole(String id, String name, boolean bound) {
    /** True for fbcon, the console drawn on a framebuffer: the one that keeps a GPU's framebuffer busy. */
    public boolean isFramebuffer() {
        return name.contains("frame buffer");
    }
}
