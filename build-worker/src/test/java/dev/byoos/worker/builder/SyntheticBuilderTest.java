package dev.byoos.worker.builder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.disk.BootSmokeTest;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.BuildCancelledException;

/** The benchmark's stand-in builder: real, distinct, deterministic bytes; never in production. */
class SyntheticBuilderTest {

    @TempDir
    Path workDir;

    private final SyntheticBuilder builder = SyntheticBuilder.forBenchmark(Duration.ZERO, List.of("bench"));
    private final List<BuildRequested.FileCustomization> files = List.of(
            new BuildRequested.FileCustomization("/etc/byoos/node.conf", "role=worker\n", "0600"),
            new BuildRequested.FileCustomization("/etc/motd", "built by BYOOS\n", "0644"));

    @Test
    void refusedInTheProdProfile() {
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> SyntheticBuilder.forBenchmark(Duration.ZERO, List.of("prod")));
        assertTrue(refused.getMessage().contains("refused in the prod profile"), refused.getMessage());
    }

    @Test
    void writesATarOfTheCoordinatesAndTheSpecsFilesThatTarReads() throws Exception {
        Builder.BuiltImage image = build(NativeBuilderTest.request("qcow2", "debian-12-skeleton", files), "a");

        assertEquals("qcow2", image.format());
        assertEquals(BootSmokeTest.SKIPPED, image.bootTest().result());
        String listing = run(workDir, "tar", "-tvf", image.file().toString());
        assertTrue(listing.contains("-rw------- root/root") && listing.contains("etc/byoos/node.conf"), listing);
        Path extracted = Files.createDirectories(workDir.resolve("extracted"));
        run(extracted, "tar", "-xf", image.file().toString());
        assertEquals("role=worker\n", Files.readString(extracted.resolve("etc/byoos/node.conf")));
        assertTrue(Files.readString(extracted.resolve(SyntheticBuilder.COORDINATES_FILE)).contains("target=qemu/qcow2\n"));
    }

    @Test
    void theSameRequestGivesTheSameBytesAndAnotherSpecOtherBytes() throws IOException {
        BuildRequested request = NativeBuilderTest.request("raw", "debian-12-skeleton", files);
        byte[] first = Files.readAllBytes(build(request, "first").file());
        byte[] again = Files.readAllBytes(build(request, "again").file());
        byte[] otherSpec = Files.readAllBytes(build(NativeBuilderTest.request("raw", "debian-12-skeleton",
                files.subList(0, 1)), "other").file());

        assertArrayEquals(first, again);
        assertFalse(Arrays.equals(first, otherSpec));
    }

    @Test
    void aCancelledBuildStopsWhileItPretendsToWork() {
        BuildCancellation cancellation = new BuildCancellation();
        cancellation.cancel();
        SyntheticBuilder slow = SyntheticBuilder.forBenchmark(Duration.ofHours(1), List.of("bench"));
        assertThrows(BuildCancelledException.class, () -> slow.build(
                NativeBuilderTest.request("raw", "debian-12-skeleton", files), workDir, new BuildLog(), cancellation));
    }

    private Builder.BuiltImage build(BuildRequested request, String directory) throws IOException {
        return builder.build(request, Files.createDirectories(workDir.resolve(directory)), new BuildLog(),
                new BuildCancellation());
    }

    private static String run(Path directory, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertEquals(0, process.waitFor(), output);
        return output;
    }
}
