package io.github.libvirthooks.features.config;

import io.smallrye.config.ConfigMappingLoader;
import io.smallrye.config.ConfigMappingMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Build step: writes the implementation classes of {@link HooksConfig} that SmallRye Config
 * would otherwise generate with ASM at every start (as Quarkus does at build time). SmallRye
 * loads a class of the expected name when it is on the classpath, so the hook's JVM skips
 * the generation and stays fast. Run by the build with the class output directory.
 */
public final class MappingClassesAtBuild {
    private MappingClassesAtBuild() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: MappingClassesAtBuild <classes-dir>");
        }
        Path classes = Path.of(args[0]);
        for (ConfigMappingMetadata metadata : ConfigMappingLoader.getConfigMappingsMetadata(HooksConfig.class)) {
            Path file = classes.resolve(metadata.getClassName().replace('.', '/') + ".class");
            Files.createDirectories(file.getParent());
            Files.write(file, metadata.getClassBytes());
        }
    }
}
