package io.github.libvirthooks.app.doctor;

/**
 * One line of {@code doctor}'s report.
 *
 * @param verdict OK, WARN or FAIL
 * @param name    what was checked
 * @param detail  what was found
 * @param fix     what to do; empty when nothing
 */
public record Check(Verdict verdict, String name, String detail, String fix) {
    /** How a check came out. */
    public enum Verdict { OK, WARN, FAIL }

    public static Check ok(String name, String detail) {
        return new Check(Verdict.OK, name, detail, "");
    }

    public static Check warn(String name, String detail, String fix) {
        return new Check(Verdict.WARN, name, detail, fix);
    }

    public static Check fail(String name, String detail, String fix) {
        return new Check(Verdict.FAIL, name, detail, fix);
    }

    @Override
    public String toString() {
        return String.format("%-4s %s: %s%s", verdict, name, detail, fix.isEmpty() ? "" : "; " + fix);
    }
}
