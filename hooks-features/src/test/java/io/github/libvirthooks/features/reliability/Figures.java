package io.github.libvirthooks.features.reliability;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The figure line each reliability suite prints on stdout, in one fixed format that the README
 * quotes: {@code RELIABILITY <suite> key=value ...}.
 */
final class Figures {
    private Figures() {
    }

    static String line(String suite, Map<String, ?> figures) {
        return "RELIABILITY " + suite + " " + figures.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(" ")) + (Soak.enabled() ? " mode=soak" : "");
    }

    static void print(String suite, Object... keyValues) {
        Map<String, Object> figures = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            figures.put((String) keyValues[i], keyValues[i + 1]);
        }
        System.out.println(line(suite, figures));
    }
}
