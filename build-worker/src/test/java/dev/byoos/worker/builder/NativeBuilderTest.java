package dev.byoos.worker.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.disk.BootSmokeTest;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.CommandRunner;

/** Builds real images with the real tools and inspects them with tools the builder does not use. */
public class NativeBuilderTest {

    static final Path EXAMPLE_BASES = TestBases.EXAMPLE_BASES;

    @TempDir
    Path workDir;

    public static BuildRequested request(String format, String base, List<BuildRequested.FileCustomization> files) {
        return request(format, new BuildRequested.BaseImage(base), files);
    }

    public static BuildRequested request(String format, BuildRequested.BaseImage base,
            List<BuildRequested.FileCustomization> files) {
        BuildCoordinates coordinates = new BuildCoordinates(UUID.randomUUID().toString(), "platform", "node", 1,
                "0".repeat(64), new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
                new BuildCoordinates.Target("qemu", format), new BuildCoordinates.Pack("byoos-node", "1.0.0", "Node"));
        return new BuildRequested(coordinates, base, files);
    }

    /** A native vSphere (OVA) build request with these cloud parameters (template name, folder). */
    public static BuildRequested vsphereRequest(String base, List<BuildRequested.FileCustomization> files,
            BuildRequested.CloudParameters cloud) {
        BuildCoordinates build = request("ova", base, files).build();
        return new BuildRequested(new BuildCoordinates(build.buildId(), build.team(), build.specName(),
                build.specVersion(), build.specDigest(), build.os(), build.kubernetesVersion(),
                new BuildCoordinates.Target("vsphere", "ova"), build.pack()), new BuildRequested.BaseImage(base), files,
                BuildRequested.STANDARD, null, null, null, null, null, null, BuildRequested.NATIVE, cloud, null);
    }

    private final BuildLog log = new BuildLog();

    @Test
    void buildsACheckedQcow2WithTheSpecsFilesInsideTheRootFilesystem() throws IOException {
        var files = List.of(new BuildRequested.FileCustomization("/etc/byoos/node.conf", "role=worker\n", "0600"));
        Builder.BuiltImage image = new NativeBuilder(NativeBuilder.Settings.localBasesOnly(EXAMPLE_BASES))
                .build(request("qcow2", "debian-12-skeleton", files), workDir, log, new BuildCancellation());

        String info = run("qemu-img", "info", "--output=json", image.file().toString());
        assertTrue(info.contains("\"format\": \"qcow2\""), info);
        run("qemu-img", "check", "-f", "qcow2", image.file().toString());

        ImageInspector inside = ImageInspector.open(image, workDir);
        assertEquals("role=worker\n", inside.cat("/etc/byoos/node.conf"));
        assertEquals("0600", inside.mode("/etc/byoos/node.conf"));
        assertTrue(inside.cat("/etc/os-release").contains("VERSION_ID=\"12\""), "the base's files are in the image");
    }

    @Test
    void aBaseWithoutAKernelIsBuiltButNotBootTested() {
        Builder.BuiltImage image = new NativeBuilder(NativeBuilder.Settings.localBasesOnly(EXAMPLE_BASES))
                .build(request("raw", "debian-12-skeleton", List.of()), workDir, log, new BuildCancellation());
        assertEquals(BootSmokeTest.SKIPPED, image.bootTest().result());
        assertEquals("the base has no kernel: the disk is not meant to boot", image.bootTest().detail());
        assertFalse(log.toString().contains("qemu-system"), "no virtual machine was started");
    }

    @Test
    void writesAPartitionedRawDisk() {
        Builder.BuiltImage image = new NativeBuilder(NativeBuilder.Settings.localBasesOnly(EXAMPLE_BASES))
                .build(request("raw", "debian-12-skeleton", List.of()), workDir, log, new BuildCancellation());
        String table = run("sfdisk", "--dump", image.file().toString());
        assertTrue(table.contains("label: gpt"), table);
        assertTrue(table.contains("C12A7328-F81F-11D2-BA4B-00A0C93EC93B"), "has an EFI System Partition: " + table);
        assertTrue(table.contains("4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"), "has an x86-64 root partition: " + table);
    }

    @Test
    void refusesToWriteThroughASymlinkInTheBase(@TempDir Path bases) throws IOException {
        Path base = Files.createDirectories(bases.resolve("sneaky"));
        Files.createSymbolicLink(base.resolve("etc"), Path.of("/tmp"));
        var files = List.of(new BuildRequested.FileCustomization("/etc/escaped", "x", "0644"));
        BuildException failure = assertThrows(BuildException.class,
                () -> new NativeBuilder(NativeBuilder.Settings.localBasesOnly(bases)).build(request("raw", "sneaky", files), workDir, log,
                        new BuildCancellation()));
        assertEquals("UNSAFE_PATH", failure.code());
        assertEquals(BuildException.Kind.BAD_INPUT, failure.kind());
    }

    @Test
    void reportsAMissingBaseAsBadInput() {
        BuildException failure = assertThrows(BuildException.class,
                () -> new NativeBuilder(NativeBuilder.Settings.localBasesOnly(EXAMPLE_BASES)).build(request("raw", "no-such-base", List.of()), workDir,
                        log, new BuildCancellation()));
        assertEquals("BASE_NOT_FOUND", failure.code());
        assertEquals(false, failure.retryable());
    }

    private String run(String... command) {
        return new CommandRunner(log, new BuildCancellation()).run(Duration.ofMinutes(2), workDir, null, command);
    }
}
