package io.github.libvirthooks.features.hostpower;

import io.github.libvirthooks.features.engine.FeatureException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Checks and reads feature options, with messages that name the feature, option, value and what is allowed. */
final class OptionValues {
    private static final Pattern DURATION = Pattern.compile("([0-9]{1,7})(ms|s|m)");

    private OptionValues() {
    }

    static void onlyKnown(String feature, Map<String, String> options, Set<String> known) {
        List<String> unknown = new ArrayList<>(options.keySet());
        unknown.removeAll(known);
        if (!unknown.isEmpty()) {
            throw new FeatureException("unknown option '" + unknown.get(0) + "' for " + feature + "; it takes: "
                    + String.join(", ", new TreeSet<>(known)));
        }
    }

    static Duration duration(String feature, Map<String, String> options, String key, Duration fallback, Duration max) {
        String text = options.get(key);
        if (text == null) {
            return fallback;
        }
        Matcher m = DURATION.matcher(text.strip());
        if (!m.matches()) {
            throw new FeatureException("invalid " + feature + " " + key + " '" + text + "': use a number with ms, s or m, e.g. "
                    + fallback.toSeconds() + "s");
        }
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            default -> Duration.ofMinutes(n);
        };
        if (d.isZero() || d.compareTo(max) > 0) {
            throw new FeatureException("invalid " + feature + " " + key + " '" + text + "': must be more than 0 and at most "
                    + max.toSeconds() + "s");
        }
        return d;
    }

    static boolean bool(String feature, Map<String, String> options, String key, boolean fallback) {
        String text = options.get(key);
        if (text == null) {
            return fallback;
        }
        return switch (text.strip()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new FeatureException("invalid " + feature + " " + key + " '" + text + "': expected true or false");
        };
    }

    static <E extends Enum<E>> E choice(String feature, Map<String, String> options, String key, E fallback, Class<E> type) {
        String text = options.get(key);
        if (text == null) {
            return fallback;
        }
        List<String> words = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            String word = e.name().toLowerCase(java.util.Locale.ROOT);
            if (word.equals(text.strip())) {
                return e;
            }
            words.add(word);
        }
        throw new FeatureException("invalid " + feature + " " + key + " '" + text + "': expected one of " + String.join(", ", words));
    }
}
