package io.github.libvirthooks.features.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.features.config.HooksConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The specs are the one source of the features' names, events and options: everything else must agree with them. */
class FeatureSpecTest {
    private static final Path README = Path.of("../README.md");

    @Test
    void everyBuiltInFeatureAnswersFromItsSpec() {
        List<Feature> all = FeatureCatalog.builtInOnly().all();
        assertThat(all).extracting(Feature::name).containsExactlyElementsOf(FeatureCatalog.builtInNames());
        for (Feature feature : all) {
            assertThat(feature.actsOn()).as(feature.name()).isEqualTo(feature.spec().events());
            assertThat(feature.spec()).as(feature.name()).isSameAs(FeatureCatalog.builtInSpecs().stream()
                    .filter(s -> s.name().equals(feature.name())).findFirst().orElseThrow());
        }
    }

    @Test
    void conflictsAreDeclaredOnBothSides() {
        for (FeatureSpec spec : FeatureCatalog.builtInSpecs()) {
            for (String other : spec.conflicts().keySet()) {
                FeatureSpec that = FeatureCatalog.builtInSpecs().stream().filter(s -> s.name().equals(other)).findFirst().orElseThrow();
                assertThat(that.conflicts()).as(other + " excludes " + spec.name()).containsKey(spec.name());
            }
        }
    }

    @Test
    void thePropertiesMappingHasAMethodForEveryFeatureInRunOrder() {
        HooksConfig.FeatureSettings none = io.github.libvirthooks.features.config.ConfigLoader.load(Path.of("/nonexistent"), Map.of())
                .hooks().allVms();
        assertThat(HooksConfig.FeatureSettings.byName(none).keySet()).containsExactlyElementsOf(FeatureCatalog.builtInNames());
    }

    @Test
    void theReadmeOptionTablesAreTheSpecs() throws IOException {
        String readme = Files.readString(README);
        for (FeatureSpec spec : FeatureCatalog.builtInSpecs()) {
            String section = section(readme, spec.name());
            Map<String, String> table = optionTable(section);
            List<String> documented = new ArrayList<>();
            for (FeatureSpec.Option option : spec.options()) {
                if (option.alias() || table.isEmpty()) {
                    // A second spelling, or a section that lists the options in its text (beforeoff-dohibernate).
                    assertThat(section).as(spec.name() + " mentions " + option.name()).contains("`" + option.name());
                    continue;
                }
                documented.add(option.name());
                assertThat(table).as(spec.name() + "'s README table").containsKey(option.name());
                assertThat(table.get(option.name())).as(spec.name() + " " + option.name() + " default").isEqualTo(option.shownDefault());
            }
            if (!table.isEmpty()) {
                assertThat(table.keySet()).as(spec.name() + "'s README table has no option the spec lacks")
                        .containsExactlyElementsOf(documented);
            }
        }
    }

    @Test
    void aConflictIsFoundWhicheverSideIsNamedFirst() {
        assertThat(FeatureSpec.conflictAmong(FeatureCatalog.builtInSpecs(), java.util.Set.of("dohibernate", "dosleep")))
                .get().satisfies(c -> assertThat(c.why()).contains("host sleep"));
        assertThat(FeatureSpec.conflictAmong(FeatureCatalog.builtInSpecs(), java.util.Set.of("dosleep", "nosleep"))).isEmpty();
    }

    private static String section(String readme, String feature) {
        Matcher m = Pattern.compile("(?m)^### `" + Pattern.quote(feature) + "`.*$").matcher(readme);
        assertThat(m.find()).as("README has a section for " + feature).isTrue();
        int end = readme.indexOf("\n### ", m.end());
        int chapter = readme.indexOf("\n## ", m.end());
        if (end < 0 || (chapter >= 0 && chapter < end)) {
            end = chapter;
        }
        return readme.substring(m.start(), end < 0 ? readme.length() : end);
    }

    /** The section's first "| option | default | meaning |" table: option name to its default cell. */
    private static Map<String, String> optionTable(String section) {
        Map<String, String> table = new LinkedHashMap<>();
        int start = section.indexOf("| option | default | meaning |");
        if (start < 0) {
            return table;
        }
        for (String line : section.substring(start).lines().skip(2).toList()) {
            if (!line.startsWith("|")) {
                break;
            }
            String[] cells = line.split("(?<!\\\\)\\|", -1);
            String names = cells[1].strip();
            String shownDefault = cells[2].strip();
            for (String name : names.split(",")) {
                table.put(name.strip().replace("`", ""), shownDefault);
            }
        }
        return table;
    }
}
