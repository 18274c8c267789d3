package io.github.libvirthooks.features.hostpower;

import io.github.libvirthooks.features.config.Durations;
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
        return Durations.option(feature + " " + key, text, Duration.ofMillis(1), max, "");
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
