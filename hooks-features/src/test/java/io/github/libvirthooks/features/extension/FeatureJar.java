package io.github.libvirthooks.features.extension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/** Compiles a feature's sources against this build's classes and packs them with their resources into a jar. */
final class FeatureJar {
    private FeatureJar() {
    }

    /**
     * @param sources   a {@code src/main/java} folder
     * @param resources a {@code src/main/resources} folder (holding {@code META-INF/services/...})
     */
    static Path build(Path sources, Path resources, Path work, Path jar) throws IOException {
        Path classes = Files.createDirectories(work.resolve("classes-" + jar.getFileName()));
        List<String> args = new ArrayList<>(List.of("--release", "17", "-d", classes.toString(), "-cp",
                System.getProperty("java.class.path")));
        try (Stream<Path> files = Files.walk(sources)) {
            files.filter(p -> p.toString().endsWith(".java")).forEach(p -> args.add(p.toString()));
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac.run(null, null, null, args.toArray(String[]::new)) != 0) {
            throw new IllegalStateException("the example feature does not compile: " + sources);
        }
        Files.createDirectories(jar.getParent());
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (Path base : List.of(classes, resources)) {
                try (Stream<Path> files = Files.walk(base)) {
                    for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                        out.putNextEntry(new JarEntry(base.relativize(p).toString().replace('\\', '/')));
                        out.write(Files.readAllBytes(p));
                        out.closeEntry();
                    }
                }
            }
        }
        return jar;
    }
}
