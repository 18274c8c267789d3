package io.github.libvirthooks.features.engine;

import io.github.libvirthooks.features.cfscpu.CfscpuFeature;
import io.github.libvirthooks.features.cpufreq.CpufreqFeature;
import io.github.libvirthooks.features.ddcutil.DdcutilFeature;
import io.github.libvirthooks.features.dohibernate.HibernateFeature;
import io.github.libvirthooks.features.dosleep.DosleepFeature;
import io.github.libvirthooks.features.extension.ExtensionFeatures;
import io.github.libvirthooks.features.gpuhandoff.GpuHandoffFeature;
import io.github.libvirthooks.features.hostpower.HibernateOptions;
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
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The features of one process: every built-in feature, in the order they run at start, plus
 * the features of the jars in the features folder ({@link ExtensionFeatures}), which run after
 * the built-in ones and before the user's scripts. Built once at the edge (the hook's main, a
 * command) and passed in: nothing here is global.
 *
 * <p>A built-in feature is named by a constant and built by name ({@link #onDemand}): a hook
 * event loads and builds only the features its VM enables or its journal names, not every
 * feature's classes, specs and codecs.
 */
public final class FeatureCatalog {
    /**
     * The built-in features, in run order. Adding one is a line here, a case in {@link #make} and
     * one in {@link #builtInSpec} (a test checks the three agree), and its own package.
     */
    private static final List<String> BUILT_IN = List.of(
            HugepagesFeature.NAME,
            IsolcpuFeature.NAME,
            CfscpuFeature.NAME,
            CpufreqFeature.NAME,
            // Before gpu-handoff: its claims are given back after gpu-handoff's, once a GPU's USB function left vfio-pci.
            UsbReturnFeature.NAME,
            GpuHandoffFeature.NAME,
            LookingGlassFeature.NAME,
            NosleepFeature.NAME,
            DosleepFeature.NAME,
            HibernateOptions.SLEEP_FEATURE,
            HibernateOptions.SHUTDOWN_FEATURE,
            DdcutilFeature.NAME,
            VirtualNasFeature.NAME,
            ServiceFeature.NAME,
            // Last, after the features from jars: the user's scripts see the host as the features left it.
            ScriptFeature.NAME);

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

    /** The specs of the built-in features, in run order (loads every feature's class). */
    public static List<FeatureSpec> builtInSpecs() {
        List<FeatureSpec> specs = new ArrayList<>();
        for (String name : BUILT_IN) {
            specs.add(builtInSpec(name));
        }
        return specs;
    }

    /** The specs of those of {@code names} that are built-in features, in run order; only their classes load. */
    public static List<FeatureSpec> builtInSpecsOf(Collection<String> names) {
        List<FeatureSpec> specs = new ArrayList<>();
        for (String name : BUILT_IN) {
            if (names.contains(name)) {
                specs.add(builtInSpec(name));
            }
        }
        return specs;
    }

    /** The names of the built-in features, in run order. */
    public static List<String> builtInNames() {
        return BUILT_IN;
    }

    /** The features, in run order: built-in, then from jars, then the user's scripts; every one is built. */
    public List<Feature> all() {
        FeatureSource source = onDemand();
        List<Feature> all = new ArrayList<>();
        for (String name : source.names()) {
            all.add(source.named(name).orElseThrow());
        }
        return all;
    }

    /**
     * The features in the same order, each built when first asked for by name: what an engine
     * runs from. A new one for each engine, as {@link #all} builds new features for each.
     */
    public FeatureSource onDemand() {
        return new OnDemand(this);
    }

    /** The names of the features loaded from the features folder (enabled per VM by an XML element of that name). */
    public List<String> extensionNames() {
        List<String> names = new ArrayList<>();
        for (Feature extension : extensions) {
            names.add(extension.name());
        }
        return names;
    }

    /** Why the feature jars could not be loaded, if they could not: said where a VM asks for a feature that is missing then. */
    public Optional<String> problem() {
        return problem;
    }

    /** A new built-in feature of that name; only its own classes load. */
    static Feature make(String name) {
        switch (name) {
            case HugepagesFeature.NAME: return new HugepagesFeature();
            case IsolcpuFeature.NAME: return new IsolcpuFeature();
            case CfscpuFeature.NAME: return new CfscpuFeature();
            case CpufreqFeature.NAME: return new CpufreqFeature();
            case UsbReturnFeature.NAME: return new UsbReturnFeature();
            case GpuHandoffFeature.NAME: return new GpuHandoffFeature();
            case LookingGlassFeature.NAME: return new LookingGlassFeature();
            case NosleepFeature.NAME: return new NosleepFeature();
            case DosleepFeature.NAME: return new DosleepFeature();
            case HibernateOptions.SLEEP_FEATURE: return HibernateFeature.atHostSleep();
            case HibernateOptions.SHUTDOWN_FEATURE: return HibernateFeature.beforeHostShutdown();
            case DdcutilFeature.NAME: return new DdcutilFeature();
            case VirtualNasFeature.NAME: return new VirtualNasFeature();
            case ServiceFeature.NAME: return new ServiceFeature();
            case ScriptFeature.NAME: return new ScriptFeature();
            default: throw new IllegalArgumentException("no built-in feature '" + name + "'");
        }
    }

    /** The spec of the built-in feature of that name, without building the feature. */
    public static FeatureSpec builtInSpec(String name) {
        switch (name) {
            case HugepagesFeature.NAME: return HugepagesFeature.SPEC;
            case IsolcpuFeature.NAME: return IsolcpuFeature.SPEC;
            case CfscpuFeature.NAME: return CfscpuFeature.SPEC;
            case CpufreqFeature.NAME: return CpufreqFeature.SPEC;
            case UsbReturnFeature.NAME: return UsbReturnFeature.SPEC;
            case GpuHandoffFeature.NAME: return GpuHandoffFeature.SPEC;
            case LookingGlassFeature.NAME: return LookingGlassFeature.SPEC;
            case NosleepFeature.NAME: return NosleepFeature.SPEC;
            case DosleepFeature.NAME: return DosleepFeature.SPEC;
            case HibernateOptions.SLEEP_FEATURE: return HibernateFeature.AT_HOST_SLEEP;
            case HibernateOptions.SHUTDOWN_FEATURE: return HibernateFeature.BEFORE_HOST_SHUTDOWN;
            case DdcutilFeature.NAME: return DdcutilFeature.SPEC;
            case VirtualNasFeature.NAME: return VirtualNasFeature.SPEC;
            case ServiceFeature.NAME: return ServiceFeature.SPEC;
            case ScriptFeature.NAME: return ScriptFeature.SPEC;
            default: throw new IllegalArgumentException("no built-in feature '" + name + "'");
        }
    }

    /** The catalog's features for one engine: each built once, at the first ask. */
    private static final class OnDemand implements FeatureSource {
        private final FeatureCatalog catalog;
        private final List<String> names;
        private final Map<String, Feature> built = new HashMap<>();

        OnDemand(FeatureCatalog catalog) {
            this.catalog = catalog;
            List<String> names = new ArrayList<>(BUILT_IN.subList(0, BUILT_IN.size() - 1));
            names.addAll(catalog.extensionNames());
            names.add(BUILT_IN.get(BUILT_IN.size() - 1));
            this.names = List.copyOf(names);
        }

        @Override
        public List<String> names() {
            return names;
        }

        @Override
        public Optional<Feature> named(String name) {
            Feature feature = built.get(name);
            if (feature == null) {
                feature = build(name);
                if (feature == null) {
                    return Optional.empty();
                }
                built.put(name, feature);
            }
            return Optional.of(feature);
        }

        private Feature build(String name) {
            if (BUILT_IN.contains(name)) {
                return make(name);
            }
            for (Feature extension : catalog.extensions) {
                if (extension.name().equals(name)) {
                    return extension;
                }
            }
            return null;
        }

        @Override
        public FeatureSpec spec(String name) {
            return BUILT_IN.contains(name) ? builtInSpec(name) : named(name).orElseThrow().spec();
        }
    }
}
