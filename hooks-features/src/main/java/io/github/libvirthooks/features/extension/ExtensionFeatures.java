package io.github.libvirthooks.features.extension;

import io.github.libvirthooks.features.engine.Feature;
import io.github.libvirthooks.features.engine.FeatureException;
import io.github.libvirthooks.features.script.SafePath;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Features from other jars: every {@code *.jar} in the features folder
 * ({@code /usr/lib/libvirt-hooks/features/}, or the system property
 * {@value #FOLDER_PROPERTY}) that lists an implementation of
 * {@link Feature} in {@code META-INF/services/io.github.libvirthooks.features.engine.Feature} is
 * loaded with {@link ServiceLoader}. The jars run as root inside the hook, so each must pass the
 * same ownership check as a script ({@link SafePath}) before any class of it is loaded; a jar
 * that does not, or a feature whose name is taken or malformed, stops the hook with a message
 * (never silently: a VM that names the feature would otherwise fail later, less clearly).
 *
 * <p>Only the JVM build loads extensions: the native executable runs the built-in features
 * and scripts only.
 */
public final class ExtensionFeatures {
    /** The system property naming the folder. */
    public static final String FOLDER_PROPERTY = "libvirt-hooks.features-dir";
    /** Where {@code install} puts the program; extensions go beside it. */
    public static final Path DEFAULT_FOLDER = Path.of("/usr/lib/libvirt-hooks/features");
    /** Compiled when a jar is there, not at every hook start: most hosts have no feature jars. */
    private static final class Names {
        static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");
    }

    private ExtensionFeatures() {
    }

    /** The folder this process loads extensions from. */
    public static Path folder() {
        String configured = System.getProperty(FOLDER_PROPERTY);
        return configured == null || configured.isBlank() ? DEFAULT_FOLDER : Path.of(configured);
    }

    /** True inside a GraalVM native image, where jars cannot be loaded. */
    public static boolean isNativeImage() {
        return System.getProperty("org.graalvm.nativeimage.imagecode") != null;
    }

    /**
     * Loads the features of every jar in {@code folder}, in jar-name order.
     *
     * @param folder   the features folder; a missing folder means none
     * @param builtIn  names already taken
     * @param safety   the ownership check each jar passes first
     * @param parent   the class loader that has {@link Feature} (the hook's own)
     * @throws FeatureException for an unsafe jar, a jar that cannot be loaded, or a bad or taken name
     */
    public static List<Feature> load(Path folder, Collection<String> builtIn, SafePath safety, ClassLoader parent) {
        if (isNativeImage() || !Files.isDirectory(folder)) {
            return List.of();
        }
        List<Path> jars = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder, "*.jar")) {
            entries.forEach(jars::add);
        } catch (IOException e) {
            throw new FeatureException("cannot list the features folder " + folder + ": " + e.getMessage());
        }
        jars.sort(null);
        List<Feature> found = new ArrayList<>();
        Set<String> taken = new TreeSet<>(builtIn);
        for (Path jar : jars) {
            Path absolute = jar.toAbsolutePath().normalize();
            safety.check(absolute, "feature jar", false);
            URLClassLoader loader = new URLClassLoader("libvirt-hooks-feature:" + jar.getFileName(), new URL[] {url(absolute)}, parent);
            try {
                for (ServiceLoader.Provider<Feature> provider : ServiceLoader.load(Feature.class, loader).stream().toList()) {
                    if (provider.type().getClassLoader() != loader) {
                        continue; // the parent's own services, not this jar's
                    }
                    Feature feature = provider.get();
                    String name = feature.name();
                    if (name == null || !Names.NAME.matcher(name).matches()) {
                        throw new FeatureException("feature jar " + jar + ": " + provider.type().getName() + " is named '" + name
                                + "'; a feature name is lower-case letters, digits and '-', starting with a letter");
                    }
                    if (!taken.add(name)) {
                        throw new FeatureException("feature jar " + jar + ": a feature named '" + name + "' exists already;"
                                + " rename " + provider.type().getName() + " or remove the jar");
                    }
                    found.add(feature);
                }
            } catch (ServiceConfigurationError | LinkageError e) {
                throw new FeatureException("feature jar " + jar + " cannot be loaded: " + e.getMessage()
                        + "; build it against this version of hooks-features, or remove it");
            }
        }
        return found;
    }

    private static URL url(Path jar) {
        try {
            return jar.toUri().toURL();
        } catch (MalformedURLException e) {
            throw new FeatureException("feature jar " + jar + " has no usable path: " + e.getMessage());
        }
    }
}
