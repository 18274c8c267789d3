package io.github.libvirthooks.features.reliability;

/**
 * How hard the reliability suites push: a quick pass in {@code ./mvnw verify}, many more seeds,
 * interleavings and tries with {@code -Dreliability.soak=true}.
 */
final class Soak {
    static final String PROPERTY = "reliability.soak";

    private Soak() {
    }

    static boolean enabled() {
        return Boolean.getBoolean(PROPERTY);
    }

    /** {@code quick} in a normal build, {@code soak} in soak mode. */
    static int pick(int quick, int soak) {
        return enabled() ? soak : quick;
    }
}
