package io.github.libvirthooks.features.lookingglass;

/**
 * The Looking Glass rule for the shared memory: two frames of the resolution at 4 bytes a
 * pixel, plus 10 MiB, rounded up to a power of two MiB (IVSHMEM sizes are powers of two).
 * 1920x1080: 1920 x 1080 x 4 x 2 = 16,588,800 bytes = 15.82 MiB, + 10 MiB = 25.82 MiB, so 32 MiB.
 *
 * @param width  pixels
 * @param height pixels
 */
record FrameSize(int width, int height) {
    static final long MIB = 1L << 20;
    static final int MAX_PIXELS = 16384;

    FrameSize {
        if (width < 1 || height < 1 || width > MAX_PIXELS || height > MAX_PIXELS) {
            throw new IllegalArgumentException("a resolution from 1x1 to " + MAX_PIXELS + "x" + MAX_PIXELS);
        }
    }

    /** {@code 1920x1080}. */
    static FrameSize parse(String text) {
        String t = text.strip().toLowerCase(java.util.Locale.ROOT);
        if (!t.matches("[0-9]{1,5}x[0-9]{1,5}")) {
            throw new IllegalArgumentException("a resolution such as 1920x1080");
        }
        String[] p = t.split("x");
        return new FrameSize(Integer.parseInt(p[0]), Integer.parseInt(p[1]));
    }

    /** The two frames' bytes. */
    long frameBytes() {
        return (long) width * height * 4 * 2;
    }

    /** The smallest size the rule allows, in MiB. */
    long minimumMib() {
        long total = frameBytes() + 10 * MIB;
        long mib = (total + MIB - 1) / MIB;
        return Long.highestOneBit(mib) == mib ? mib : Long.highestOneBit(mib) << 1;
    }

    /** The rule worked out for this resolution, for messages and README. */
    String formula() {
        return width + " x " + height + " x 4 x 2 = " + frameBytes() + " bytes, + 10 MiB = "
                + String.format(java.util.Locale.ROOT, "%.2f", (frameBytes() + 10.0 * MIB) / MIB) + " MiB, rounded up to a power of two: "
                + minimumMib() + " MiB";
    }

    static boolean isPowerOfTwo(long n) {
        return n > 0 && (n & (n - 1)) == 0;
    }

    @Override
    public String toString() {
        return width + "x" + height;
    }
}
