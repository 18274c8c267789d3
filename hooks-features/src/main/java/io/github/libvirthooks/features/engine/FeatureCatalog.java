package io.github.libvirthooks.features.engine;

import io.github.libvirthooks.features.cfscpu.CfscpuFeature;
import io.github.libvirthooks.features.cpufreq.CpufreqFeature;
import io.github.libvirthooks.features.ddcutil.DdcutilFeature;
import io.github.libvirthooks.features.dohibernate.HibernateFeature;
import io.github.libvirthooks.features.dosleep.DosleepFeature;
import io.github.libvirthooks.features.extension.ExtensionFeatures;
import io.github.libvirthooks.features.gpuhandoff.GpuHandoffFeature;
import io.github.libvirthooks.features.hugepages.HugepagesFeature;
import io.github.libvirthooks.features.isolcpu.IsolcpuFeature;
import io.github.libvirthooks.features.lookingglass.LookingGlassFeature;
import io.github.libvirthooks.features.nosleep.NosleepFeature;
import io.github.libvirthooks.features.script.SafePath;
import io.github.libvirthooks.features.script.ScriptFeature;
import io.github.libvirthooks.features.service.ServiceFeature;
import io.github.libvirthooks.features.usbreturn.UsbReturnFeature;
import io.github.libvirthooks.features.virtualnas.VirtualNasFeature;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The features of one process: every built-in feature, in the order they run at start, plus
 * the features of the jars in the features folder ({@link ExtensionFeatures}), which run after
 * the built-in ones and before the user's scripts. Built once at the edge (the hook's main, a
 * command) and passed in: nothing here is global.
 */
public final class FeatureCatalog {
    /** Adding a built-in feature is one line here (and its own package). */
    private static final List<BuiltIn> BUILT_IN = List.of(
            new BuiltIn(HugepagesFeature.SPEC, HugepagesFeature::new),
            new BuiltIn(IsolcpuFeature.SPEC, IsolcpuFeature::new),
            new BuiltIn(CfscpuFeature.SPEC, CfscpuFeature::new),
            new BuiltIn(CpufreqFeature.SPEC, CpufreqFeature::new),
            // Before gpu-handoff: its claims are given back after gpu-handoff's, once a GPU's USB function left vfio-pci.
            new BuiltIn(UsbReturnFeature.SPEC, UsbReturnFeature::new),
            new BuiltIn(GpuHandoffFeature.SPEC, GpuHandoffFeature::new),
            new BuiltIn(LookingGlassFeature.SPEC, LookingGlassFeature::new),
            new BuiltIn(NosleepFeature.SPEC, NosleepFeature::new),
            new BuiltIn(DosleepFeature.SPEC, DosleepFeature::new),
            new BuiltIn(HibernateFeature.AT_HOST_SLEEP, HibernateFeature::atHostSleep),
            new BuiltIn(HibernateFeature.BEFORE_HOST_SHUTDOWN, HibernateFeature::beforeHostShutdown),
            new BuiltIn(DdcutilFeature.SPEC, DdcutilFeature::new),
            new BuiltIn(VirtualNasFeature.SPEC, VirtualNasFeature::new),
            new BuiltIn(ServiceFeature.SPEC, ServiceFeature::new),
            // Last, after the features from jars: the user's scripts see the host as the features left it.
            new BuiltIn(ScriptFeature.SPEC, ScriptFeature::new));

    private final List<Feature> extensions;
    private final Optional<String> problem;

    private FeatureCatalog(List<Feature> extensions, Optional<String> problem) {
        this.extensions = List.copyOf(extensions);
        this.problem = problem;
    }

    /** The built-in features only (tests, the demo, the training run). */
    public static FeatureCatalog builtInOnly() {
        return new FeatureCatalog(List.of(), Optional.empty());
    }

    /**
     * The built-in features and those of the jars in {@code folder}. A jar that cannot be loaded
     * disables every extension but never the built-in features: a VM that does not use
     * extensions must still start and release; the problem is named when a VM asks for an
     * unknown feature.
     */
    public static FeatureCatalog withExtensionsFrom(Path folder) {
        try {
            return new FeatureCatalog(ExtensionFeatures.load(folder, builtInNames(), SafePath.rootOnly(),
                    Feature.class.getClassLoader()), Optional.empty());
        } catch (FeatureException e) {
            return new FeatureCatalog(List.of(), Optional.of(e.getMessage()));
        }
    }

    /** The specs of the built-in features, in run order. */
    public static List<FeatureSpec> builtInSpecs() {
        return BUILT_IN.stream().map(BuiltIn::spec).toList();
    }

    /** The names of the built-in features, in run order. */
    public static List<String> builtInNames() {
        return BUILT_IN.stream().map(b -> b.spec().name()).toList();
    }

    /** The features, in run order: built-in, then from jars, then the user's scripts. */
    public List<Feature> all() {
        List<Feature> all = new ArrayList<>();
        for (BuiltIn b : BUILT_IN.subList(0, BUILT_IN.size() - 1)) {
            all.add(b.make().get());
        }
        all.addAll(extensions);
        all.add(BUILT_IN.get(BUILT_IN.size() - 1).make().get());
        return all;
    }

    /** The names of the features loaded from the features folder (enabled per VM by an XML element of that name). */
    public List<String> extensionNames() {
        return extensions.stream().map(Feature::name).toList();
    }

    /** Why the feature jars could not be loaded, if they could not: said where a VM asks for a feature that is missing then. */
    public Optional<String> problem() {
        return problem;
    }

    private record BuiltIn(FeatureSpec spec, Supplier<Feature> make) {
    }
}
