package dev.byoos.worker.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

/** Builds real images with the real tools and inspects them with tools the builder does not use. */
class NativeBuilderTest {

    static final Path EXAMPLE_BASES = Path.of("..", "examples", "bases").toAbsolutePath().normalize();

    @TempDir
    Path workDir;

    static BuildRequested request(String format, String base, List<BuildRequested.FileCustomization> files) {
        BuildCoordinates coordinates = new BuildCoordinates(UUID.randomUUID().toString(), "platform", "node", 1,
                "0".repeat(64), new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
                new BuildCoordinates.Target("qemu", format), new BuildCoordinates.Pack("byoos-node", "1.0.0", "Node"));
        return new BuildRequested(coordinates, new BuildRequested.BaseImage(base), files);
    }

    private final BuildLog log = new BuildLog();

    @Test
    void buildsACheckedQcow2WithTheSpecsFilesInsideTheRootFilesystem() throws IOException {
        var files = List.of(new BuildRequested.FileCustomization("/etc/byoos/node.conf", "role=worker\n", "0600"));
        Builder.BuiltImage image = new NativeBuilder(EXAMPLE_BASES)
                .build(request("qcow2", "debian-12-skeleton", files), workDir, log);

        String info = run("qemu-img", "info", "--output=json", image.file().toString());
        assertTrue(info.contains("\"format\": \"qcow2\""), info);
        run("qemu-img", "check", "-f", "qcow2", image.file().toString());

        Path raw = workDir.resolve("readback.raw");
        run("qemu-img", "convert", "-f", "qcow2", "-O", "raw", image.file().toString(), raw.toString());
        Path root = extractRootPartition(raw);
        assertEquals("role=worker\n", run("debugfs", "-R", "cat /etc/byoos/node.conf", root.toString()));
        assertTrue(run("debugfs", "-R", "stat /etc/byoos/node.conf", root.toString()).contains("Mode:  0600"));
        assertTrue(run("debugfs", "-R", "cat /etc/os-release", root.toString()).contains("VERSION_ID=\"12\""),
                "the base's files are in the image");
    }

    @Test
    void writesAPartitionedRawDisk() {
        Builder.BuiltImage image = new NativeBuilder(EXAMPLE_BASES)
                .build(request("raw", "debian-12-skeleton", List.of()), workDir, log);
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
                () -> new NativeBuilder(bases).build(request("raw", "sneaky", files), workDir, log));
        assertEquals("UNSAFE_PATH", failure.code());
        assertEquals(BuildException.Kind.BAD_INPUT, failure.kind());
    }

    @Test
    void reportsAMissingBaseAsBadInput() {
        BuildException failure = assertThrows(BuildException.class,
                () -> new NativeBuilder(EXAMPLE_BASES).build(request("raw", "no-such-base", List.of()), workDir, log));
        assertEquals("BASE_NOT_FOUND", failure.code());
        assertEquals(false, failure.retryable());
    }

    /** Cuts the root partition out of a raw disk using the partition table sfdisk reads back. */
    private Path extractRootPartition(Path raw) throws IOException {
        String json = run("sfdisk", "--json", raw.toString());
        var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).get("partitiontable");
        long sectorSize = node.has("sectorsize") ? node.get("sectorsize").asLong() : 512;
        var root = node.get("partitions").get(1);
        long start = root.get("start").asLong() * sectorSize;
        long size = root.get("size").asLong() * sectorSize;
        Path partition = workDir.resolve("root.ext4");
        try (var in = java.nio.channels.FileChannel.open(raw);
                var out = java.nio.channels.FileChannel.open(partition, java.nio.file.StandardOpenOption.CREATE,
                        java.nio.file.StandardOpenOption.WRITE)) {
            long done = 0;
            while (done < size) {
                done += in.transferTo(start + done, size - done, out);
            }
        }
        return partition;
    }

    private String run(String... command) {
        return new CommandRunner(log).run(Duration.ofMinutes(2), workDir, null, command);
    }
}
