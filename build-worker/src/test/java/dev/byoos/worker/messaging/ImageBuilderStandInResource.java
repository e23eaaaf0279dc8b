package dev.byoos.worker.messaging;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Gives the worker under test an "image-builder checkout" holding only the scripted stand-in for
 * {@code make} (src/test/resources/image-builder-stand-in), so image-builder builds run end to end
 * through Kafka and S3 without Packer or a cloud.
 */
public class ImageBuilderStandInResource implements QuarkusTestResourceLifecycleManager {

    static final Path CHECKOUT = Path.of("target", "image-builder-checkout").toAbsolutePath();
    static final Path STAND_IN = Path.of("src/test/resources/image-builder-stand-in/make").toAbsolutePath();

    @Override
    public Map<String, String> start() {
        try {
            Files.createDirectories(CHECKOUT);
            Path make = Files.copy(STAND_IN, CHECKOUT.resolve("make"), StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(make, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.deleteIfExists(CHECKOUT.resolve("mode"));
            return Map.of("byoos.worker.image-builder.dir", CHECKOUT.toString(), "byoos.worker.image-builder.command", make.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        // Kept for inspection (the stand-in records what it received); the next run starts afresh.
    }
}
