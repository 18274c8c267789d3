package io.github.libvirthooks.sysfs.proc;

/**
 * A process that has a device node open.
 *
 * @param pid    its process id
 * @param comm   its command name ({@code /proc/PID/comm})
 * @param uid    its real user id, -1 when unknown
 * @param user   the user's name from {@code /etc/passwd}, else the uid as text
 * @param device the device node it holds ({@code /dev/dri/card0})
 * @param cgroup its cgroup path ({@code /system.slice/gdm.service}), empty when unknown: says which unit it belongs to
 */
public record Holder(int pid, String comm, int uid, String user, String device, String cgroup) {
    /** For messages: {@code PID 1234 Xorg (user gdm) holds /dev/dri/card0}. */
    public String describe() {
        return "PID " + pid + " " + comm + " (user " + user + ") holds " + device;
    }
}
