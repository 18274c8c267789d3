package io.github.libvirthooks.features.hook;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.libvirthooks.features.domain.Domain;
import io.github.libvirthooks.features.domain.DomainXmlParser;
import io.github.libvirthooks.features.engine.Feature;
import io.github.libvirthooks.features.engine.FeatureCatalog;
import io.github.libvirthooks.features.engine.HookEngine;
import io.github.libvirthooks.features.engine.HookInvocation;
import io.github.libvirthooks.features.engine.HookOutcome;
import io.github.libvirthooks.features.hugepages.HugepagesFeature;
import io.github.libvirthooks.features.state.StateDirectory;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import io.github.libvirthooks.sysfs.hugetlb.HugePageSize;
import io.github.libvirthooks.testkit.SimulatedHugePages;
import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hook event builds only the features its VM enables or its journal names (issue 21): the
 * others' classes are not even loaded, and release and restore still find a journal's features
 * by name, whatever the VM's XML says at release.
 */
class FeaturesOnDemandTest {
    private static final String WITH_HUGEPAGES = "<domain type='kvm'><name>vm</name>"
            + "<metadata><hooks xmlns='urn:libvirt-hooks:1'><hugepages timeout='0s'/></hooks></metadata>"
            + "<memory unit='MiB'>8</memory><memoryBacking><hugepages/></memoryBacking></domain>";
    /** The same VM as libvirt may hand it over at release: its metadata no longer names the feature. */
    private static final String WITHOUT_METADATA = "<domain type='kvm'><name>vm</name>"
            + "<memory unit='MiB'>8</memory><memoryBacking><hugepages/></memoryBacking></domain>";

    @TempDir
    Path tmp;

    @Test
    void aHugepagesEventLoadsNoOtherFeaturesClass() throws Exception {
        List<String> others = new ArrayList<>();
        for (Feature feature : FeatureCatalog.builtInOnly().all()) {
            if (!feature.name().equals(HugepagesFeature.NAME)) {
                others.add(feature.getClass().getName());
            }
        }
        assertThat(others).hasSize(FeatureCatalog.builtInNames().size() - 1);

        try (IsolatedLoader loader = new IsolatedLoader()) {
            // The training run: prepare and release of a hugepages VM through the hook's own path, in a JVM-fresh set of classes.
            Object done = loader.loadClass(HookTraining.class.getName()).getMethod("run", Path.class).invoke(null, tmp);

            assertThat(done).isEqualTo(true);
            assertThat(loader.loaded(HugepagesFeature.class.getName())).isTrue();
            for (String other : others) {
                assertThat(loader.loaded(other)).as(other).isFalse();
            }
        }
    }

    @Test
    void releaseUndoesTheJournaledFeatureThoughTheXmlNoLongerEnablesIt() {
        SimulatedHugePages kernel = new SimulatedHugePages(tmp.resolve("host"), 1, HugePageSize.TWO_MIB);
        Domain vm = new DomainXmlParser().parse(WITH_HUGEPAGES.getBytes(StandardCharsets.UTF_8));
        event(kernel, "prepare", "begin", vm, vm.hooksConfig());
        assertThat(kernel.total(HugePageSize.TWO_MIB)).isEqualTo(4);

        // A new engine, as each event is a new process: it has built nothing, and the XML enables nothing.
        HookOutcome outcome = event(kernel, "release", "end",
                new DomainXmlParser().parse(WITHOUT_METADATA.getBytes(StandardCharsets.UTF_8)), Map.of());

        assertThat(outcome.warnings()).isEmpty();
        assertThat(kernel.total(HugePageSize.TWO_MIB)).isZero();
        assertThat(state().fileFor("vm")).doesNotExist();
    }

    @Test
    void restoreUndoesTheJournaledFeatureByName() {
        SimulatedHugePages kernel = new SimulatedHugePages(tmp.resolve("host"), 1, HugePageSize.TWO_MIB);
        Domain vm = new DomainXmlParser().parse(WITH_HUGEPAGES.getBytes(StandardCharsets.UTF_8));
        event(kernel, "prepare", "begin", vm, vm.hooksConfig());
        assertThat(kernel.total(HugePageSize.TWO_MIB)).isEqualTo(4);

        HookOutcome outcome = engine(kernel).restore("vm", line -> { });

        assertThat(outcome.warnings()).isEmpty();
        assertThat(kernel.total(HugePageSize.TWO_MIB)).isZero();
        assertThat(state().fileFor("vm")).doesNotExist();
    }

    private HookOutcome event(SimulatedHugePages kernel, String operation, String sub, Domain domain,
            Map<String, Map<String, String>> enabled) {
        return engine(kernel).run(HookInvocation.parse(List.of("qemu", "vm", operation, sub, "-")), domain, enabled, line -> { });
    }

    /** The engine a hook process builds: the catalog's features on demand. */
    private HookEngine engine(SimulatedHugePages kernel) {
        return new HookEngine(kernel.host(), CommandRunner.system(), state(), FeatureCatalog.builtInOnly().onDemand(),
                Duration.ofSeconds(5), Clock.systemUTC());
    }

    private StateDirectory state() {
        return new StateDirectory(tmp.resolve("state"));
    }

    /** This test's classpath in a loader of its own, below the JDK's: which of our classes it loaded is its own record. */
    private static final class IsolatedLoader extends URLClassLoader {
        IsolatedLoader() throws IOException {
            super(urls(), ClassLoader.getPlatformClassLoader());
        }

        boolean loaded(String name) {
            return findLoadedClass(name) != null;
        }

        private static URL[] urls() throws IOException {
            List<URL> urls = new ArrayList<>();
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                urls.add(Path.of(entry).toUri().toURL());
            }
            return urls.toArray(new URL[0]);
        }
    }
}
