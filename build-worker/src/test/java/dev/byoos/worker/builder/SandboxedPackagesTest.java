package dev.byoos.worker.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.CustomizationLayersTest.Layers;
import dev.byoos.worker.builder.base.DebootstrapBases;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.layers.ImageCustomizer;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.CommandRunner;
import dev.byoos.worker.builder.rootfs.RootFilesystem;
import dev.byoos.worker.builder.sandbox.Sandbox;
import dev.byoos.worker.builder.sandbox.SandboxLimits;

/**
 * A real package installation with a Debian base's own apt, in the sandbox: its only way out is
 * the worker's proxy, which reaches the allowed mirror and nothing else. Needs the mirror (the
 * debootstrap base is cached in the user's cache, see {@link TestBases#DEBOOTSTRAP_CACHE}).
 */
class SandboxedPackagesTest {

    @TempDir
    Path workDir;

    private final BuildLog log = new BuildLog();
    private final BuildCancellation cancellation = new BuildCancellation();
    private final CommandRunner commands = new CommandRunner(log, cancellation);
    private final String mirrorHost = URI.create(TestBases.debianMirror()).getHost();

    @Test
    void aptInstallsFromTheAllowedMirrorThroughTheProxy() {
        RootFilesystem rootfs = bookworm();

        customizer(rootfs, Set.of(mirrorHost)).install(withPackages("hello"), Optional.empty());

        assertTrue(Files.isRegularFile(rootfs.root().resolve("usr/bin/hello")), log.toString());
        assertTrue(log.toString().contains("Setting up hello"), log.toString());
    }

    @Test
    void aMirrorTheWorkerDoesNotAllowIsRefusedByTheProxy() {
        RootFilesystem rootfs = bookworm();

        BuildException failure = assertThrows(BuildException.class,
                () -> customizer(rootfs, Set.of("mirror.invalid")).install(withPackages("hello"), Optional.empty()));

        // The spec's (its base's) fault, not an outage: retrying would not help.
        assertEquals("MIRROR_NOT_ALLOWED", failure.code(), failure.getMessage());
        assertEquals(BuildException.Kind.BAD_INPUT, failure.kind());
        assertTrue(failure.getMessage().contains("403"), failure.getMessage());
        assertTrue(log.toString().contains("mirror proxy: refused " + mirrorHost), log.toString());
    }

    private RootFilesystem bookworm() {
        DebootstrapBases bases = TestBases.debootstrapBases(TestBases.DEBOOTSTRAP_CACHE, List.of(mirrorHost));
        return bases.checkout(bases.resolve(BootableImageTest.BOOKWORM, "debian", log, cancellation), workDir, commands, log,
                cancellation);
    }

    private ImageCustomizer customizer(RootFilesystem rootfs, Set<String> mirrors) {
        return new ImageCustomizer(rootfs, commands, new Sandbox(new Sandbox.Settings(SandboxLimits.defaults(), mirrors)),
                log, cancellation);
    }

    private static BuildRequested withPackages(String... packages) {
        return CustomizationLayersTest.request("bookworm", BuildRequested.STANDARD, Layers.none().packages(packages));
    }
}
