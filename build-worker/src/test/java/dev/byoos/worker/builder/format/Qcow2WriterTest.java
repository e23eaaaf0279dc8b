package dev.byoos.worker.builder.format;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.core.ReadDigest;
import dev.byoos.worker.builder.core.Reproducibility;
import dev.byoos.worker.builder.core.Sha256;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.BuildCancelledException;
import dev.byoos.worker.builder.process.CommandRunner;

/**
 * The worker's own qcow2 writer, read back by QEMU's tools: every kind of cluster it writes (zero,
 * compressed, stored whole), an L2 table boundary and a partial last cluster.
 */
class Qcow2WriterTest {

    static final long MIB = 1024 * 1024;
    static final int CLUSTER = Qcow2Writer.CLUSTER_SIZE;
    static final BuildCoordinates BUILD = new BuildCoordinates(UUID.randomUUID().toString(), "platform", "node", 1,
            "0".repeat(64), new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
            new BuildCoordinates.Target("qemu", "qcow2"), new BuildCoordinates.Pack("byoos-node", "1.0.0", "Node"));

    @TempDir
    Path workDir;

    private final BuildLog log = new BuildLog();
    private final CommandRunner commands = new CommandRunner(log, new BuildCancellation());

    @Test
    void qemuReadsBackEveryByteOfTheDiskAndFindsNoErrorOrLeak() throws IOException {
        Path disk = mixedDisk();
        FormatContext context = new FormatContext(BUILD, BuildRequested.CloudParameters.NONE, workDir, workDir,
                commands, Reproducibility.of("qcow2-writer-test"), () -> disk);
        ImageFormat qcow2 = ImageFormats.forName("qcow2");

        Path output = qcow2.write(context);
        // qemu-img check exits non-zero on a corrupt table, a wrong refcount or a leaked cluster.
        qcow2.verify(output, context);

        String compared = commands.run(Duration.ofMinutes(2), workDir, null, "qemu-img", "compare", "-f", "raw",
                "-F", "qcow2", disk.toString(), output.toString());
        assertTrue(compared.contains("Images are identical"), compared);
        JsonNode info = context.qemuInfo(output, "qcow2");
        assertEquals(Files.size(disk), info.get("virtual-size").asLong());
        assertEquals("zstd", info.at("/format-specific/data/compression-type").asText(), info.toString());
        assertTrue(log.toString().contains("8 stored whole"), "the random clusters zstd cannot shrink: " + log);
        assertTrue(Files.size(output) < 16 * MIB, "zero clusters are not stored, text is compressed: "
                + Files.size(output));
    }

    @Test
    void anAllZeroDiskHasNoL2TableAndReadsBackAsZeros() throws IOException {
        Path disk = workDir.resolve("zeros.raw");
        try (RandomAccessFile file = new RandomAccessFile(disk.toFile(), "rw")) {
            file.setLength(64 * MIB);
        }
        Path output = workDir.resolve("zeros.qcow2");

        Qcow2Writer.Written written = Qcow2Writer.write(disk, output, 2, () -> {
        }, null);

        commands.run(Duration.ofMinutes(1), workDir, null, "qemu-img", "check", "-f", "qcow2", output.toString());
        assertTrue(commands.run(Duration.ofMinutes(1), workDir, null, "qemu-img", "compare", "-f", "raw", "-F",
                "qcow2", disk.toString(), output.toString()).contains("Images are identical"));
        assertEquals(1024, written.zero());
        // Header, refcount table, L1 table and one refcount block: no L2 table, no data.
        assertEquals(4L * CLUSTER, Files.size(output));
    }

    @Test
    void aDiskOfPartSectorsIsRefusedBeforeAnythingIsWritten() throws IOException {
        Path disk = workDir.resolve("odd.raw");
        Files.write(disk, new byte[CLUSTER + 100]);
        Path output = workDir.resolve("odd.qcow2");

        IOException refused = assertThrows(IOException.class, () -> Qcow2Writer.write(disk, output, 2, () -> {
        }, null));

        assertTrue(refused.getMessage().contains("65636 bytes is not whole 512-byte sectors"), refused.getMessage());
        assertTrue(Files.notExists(output));
    }

    /** A disk read where a tree cache keeps it is verified by the write's own read: every byte, once, in order. */
    @Test
    void theReadDigestTakesExactlyTheDisksBytesEvenWithAPartialLastCluster() throws IOException {
        // Its last cluster is partial: the image's last cluster is part disk, part zeros.
        Path disk = mixedDisk();
        ReadDigest read = new ReadDigest();

        Qcow2Writer.write(disk, workDir.resolve("digested.qcow2"), 2, () -> {
        }, read);

        assertEquals(Files.size(disk), read.bytes());
        assertEquals(Sha256.of(disk), read.sha256());
    }

    /** A disk cut short while it is read: the write fails, and the digest has not seen a whole disk. */
    @Test
    void aDiskThatShrinksWhileItIsReadFailsTheWrite() throws IOException {
        Path disk = mixedDisk();
        long size = Files.size(disk);
        ReadDigest read = new ReadDigest();
        AtomicInteger batches = new AtomicInteger();

        IOException failed = assertThrows(IOException.class, () -> Qcow2Writer.write(disk,
                workDir.resolve("shrunk.qcow2"), 2, () -> {
                    if (batches.incrementAndGet() == 20) {
                        truncate(disk, 10 * MIB);
                    }
                }, read));

        assertTrue(failed.getMessage().contains("the disk ended while it was read"), failed.getMessage());
        assertTrue(read.bytes() < size, read.bytes() + " of " + size);
    }

    /** Bytes appended while the disk is read are neither in the image nor in the digest. */
    @Test
    void aDiskThatGrowsWhileItIsReadIsWrittenAndHashedAtItsFirstSize() throws IOException {
        Path disk = mixedDisk();
        long size = Files.size(disk);
        String sha256 = Sha256.of(disk);
        Path asItWas = workDir.resolve("as-it-was.qcow2");
        Qcow2Writer.write(disk, asItWas, 2, () -> {
        }, null);
        ReadDigest read = new ReadDigest();
        AtomicInteger batches = new AtomicInteger();
        Path output = workDir.resolve("grown.qcow2");

        Qcow2Writer.write(disk, output, 2, () -> {
            if (batches.incrementAndGet() == 20) {
                try (RandomAccessFile file = new RandomAccessFile(disk.toFile(), "rw")) {
                    file.seek(size);
                    file.write(new byte[CLUSTER]);
                    file.seek(size);
                    file.write("appended".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }, read);

        assertEquals(size, read.bytes());
        assertEquals(sha256, read.sha256());
        // Its last cluster, partly past the first size, holds zeros there, not what was appended.
        assertEquals(Sha256.of(asItWas), Sha256.of(output), "the image of the disk as it was when the write began");
    }

    private static void truncate(Path disk, long size) {
        try (RandomAccessFile file = new RandomAccessFile(disk.toFile(), "rw")) {
            file.setLength(size);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A kept disk is the worker's own file: a link in its place is refused, not followed. */
    @Test
    void aDiskThatIsALinkIsNotRead() throws IOException {
        Path disk = mixedDisk();
        Path link = Files.createSymbolicLink(workDir.resolve("link.raw"), disk);

        assertThrows(IOException.class, () -> Qcow2Writer.write(link, workDir.resolve("link.qcow2"), 2, () -> {
        }, new ReadDigest()));
    }

    @Test
    void theSameDiskGivesTheSameBytesWhateverTheNumberOfThreads() throws IOException {
        Path disk = mixedDisk();

        Path one = workDir.resolve("one.qcow2");
        Qcow2Writer.write(disk, one, 1, () -> {
        }, null);
        Path four = workDir.resolve("four.qcow2");
        Qcow2Writer.write(disk, four, 4, () -> {
        }, null);
        Path again = workDir.resolve("again.qcow2");
        Qcow2Writer.write(disk, again, 4, () -> {
        }, null);

        assertEquals(Sha256.of(one), Sha256.of(four));
        assertEquals(Sha256.of(four), Sha256.of(again));
    }

    @Test
    void aCancelledBuildStopsTheWriteAndLeavesNoCompressingThreadBehind() throws IOException {
        Path disk = mixedDisk();
        AtomicInteger batchesRead = new AtomicInteger();
        BuildCancellation cancellation = new BuildCancellation();

        assertThrows(BuildCancelledException.class, () -> Qcow2Writer.write(disk, workDir.resolve("cancelled.qcow2"),
                2, () -> {
                    if (batchesRead.incrementAndGet() == 20) {
                        cancellation.cancel();
                    }
                    cancellation.throwIfCancelled();
                }, null));

        assertEquals(20, batchesRead.get(), "no MiB is read once the build is cancelled");
        await().atMost(Duration.ofSeconds(10)).until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(thread -> thread.getName().startsWith("qcow2-zstd-")));
    }

    /**
     * 600 MiB and 1.5 KiB, sparse: text, zeros, 8 random clusters, text again right after them, one
     * byte set alone, 4 clusters of hex digits, data past the first L2 table's 512 MiB, and the last
     * partial cluster's last bytes.
     */
    private Path mixedDisk() throws IOException {
        Path disk = workDir.resolve("disk.raw");
        if (Files.exists(disk)) {
            return disk;
        }
        byte[] text = "a line of text that compresses well\n".repeat(CLUSTER / 36 + 1).substring(0, CLUSTER)
                .getBytes(StandardCharsets.US_ASCII);
        byte[] random = new byte[8 * CLUSTER];
        new Random(42).nextBytes(random);
        // Random hex digits compress to about half: their frames cross from one host cluster into the next.
        byte[] hex = new byte[4 * CLUSTER];
        Random digits = new Random(7);
        for (int i = 0; i < hex.length; i++) {
            hex[i] = (byte) "0123456789abcdef".charAt(digits.nextInt(16));
        }
        long size = 600 * MIB + 3 * 512;
        try (RandomAccessFile file = new RandomAccessFile(disk.toFile(), "rw")) {
            file.setLength(size);
            file.seek(0);
            file.write(text);
            file.seek(2L * CLUSTER);
            file.write(random);
            file.seek(10L * CLUSTER + 100);
            file.write(text);
            file.seek(20L * CLUSTER + 777);
            file.write(1);
            file.seek(30L * CLUSTER);
            file.write(hex);
            file.seek(513 * MIB + 12345);
            file.write(text);
            file.seek(size - 700);
            file.write(text, 0, 700);
        }
        return disk;
    }
}
