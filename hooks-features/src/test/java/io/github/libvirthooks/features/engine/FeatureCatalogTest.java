package io.github.libvirthooks.features.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FeatureCatalogTest {
    @Test
    void everyBuiltInNameBuildsItsFeatureAndHasItsSpec() {
        for (String name : FeatureCatalog.builtInNames()) {
            Feature feature = FeatureCatalog.make(name);
            assertThat(feature.name()).isEqualTo(name);
            assertThat(FeatureCatalog.builtInSpec(name).name()).isEqualTo(name);
            assertThat(feature.spec()).isEqualTo(FeatureCatalog.builtInSpec(name));
        }
    }

    @Test
    void theFeaturesRunInCatalogOrderWithTheScriptsLast() {
        List<String> names = new ArrayList<>();
        for (Feature feature : FeatureCatalog.builtInOnly().all()) {
            names.add(feature.name());
        }
        assertThat(names).isEqualTo(FeatureCatalog.builtInNames()).endsWith("script").startsWith("hugepages");
        assertThat(FeatureCatalog.builtInOnly().onDemand().names()).isEqualTo(names);
    }

    @Test
    void onDemandBuildsAFeatureOnceAndKnowsNoOtherName() {
        FeatureSource source = FeatureCatalog.builtInOnly().onDemand();

        assertThat(source.named("hugepages")).containsSame(source.named("hugepages").orElseThrow());
        assertThat(source.named("no-such-feature")).isEmpty();
        assertThat(source.spec("isolcpu")).isSameAs(FeatureCatalog.builtInSpec("isolcpu"));
    }

    @Test
    void theSpecsOfSomeNamesComeInRunOrderAndOnlyForBuiltInOnes() {
        List<FeatureSpec> specs = FeatureCatalog.builtInSpecsOf(Set.of("script", "extension-x", "hugepages"));

        assertThat(specs).extracting(FeatureSpec::name).containsExactly("hugepages", "script");
    }
}
