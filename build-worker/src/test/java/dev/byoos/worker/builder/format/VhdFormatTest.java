package dev.byoos.worker.builder.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.core.Reproducibility;
import dev.byoos.worker.builder.core.Sha256;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.CommandRunner;

/** The VHD writer on a disk the assembler would never make: one whose size is not whole MiB. */
class VhdFormatTest {

    static final long MIB = 1024 * 1024;
    static final Reproducibility FIXED = Reproducibility.of("vhd-format-test");
    static final BuildCoordinates BUILD = new BuildCoordinates(UUID.randomUUID().toString(), "platform", "node", 1,
            "0".repeat(64), new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
            new BuildCoordinates.Target("azure", "vhd"), new BuildCoordinates.Pack("byoos-node", "1.0.0", "Node"));

    @TempDir
    Path workDir;

    private final CommandRunner commands = new CommandRunner(new BuildLog(), new BuildCancellation());

    @Test
    void roundsTheDiskUpToWholeMebibytesAndKeepsItsPartitionTableValid() throws IOException {
        Path disk = oddDisk();
        FormatContext context = context(disk);
        ImageFormat vhd = ImageFormats.forName("vhd");

        Path output = vhd.write(context);
        vhd.verify(output, context);

        assertEquals(4 * MIB + 512, Files.size(output), "3 MiB + 512 bytes rounded up to 4 MiB, plus the footer");
        Path back = workDir.resolve("back.raw");
        commands.run(Duration.ofMinutes(1), workDir, null, "qemu-img", "convert", "-f", "vpc", "-O", "raw",
                output.toString(), back.toString());
        String verdict = commands.run(Duration.ofMinutes(1), workDir, null, "sfdisk", "--verify", back.toString());
        assertTrue(verdict.contains("No errors detected"), "the backup GPT moved to the new end: " + verdict);
    }

    /**
     * qemu-img writes the time and a random id into the footer: the writer puts the source date (before
     * 2000, so the footer's earliest time, 0) and the tree's id there, with a checksum that holds, so a
     * disk written twice, seconds apart, is the same VHD.
     */
    @Test
    void theFooterHoldsTheSourceDateAndTheTreesIdWithAValidChecksum() throws IOException, InterruptedException {
        Path disk = oddDisk();
        ImageFormat vhd = ImageFormats.forName("vhd");
        Path first = vhd.write(context(disk));
        Path kept = Files.move(first, workDir.resolve("first.vhd"));
        // The footer counts seconds: the second write must fall into another one.
        Thread.sleep(1100);
        FormatContext context = context(disk);
        Path second = vhd.write(context);
        vhd.verify(second, context);

        assertEquals(Sha256.of(kept), Sha256.of(second));
        ByteBuffer footer = ByteBuffer.allocate(VhdFormat.FOOTER_SIZE);
        try (RandomAccessFile file = new RandomAccessFile(second.toFile(), "r")) {
            file.getChannel().read(footer, file.length() - VhdFormat.FOOTER_SIZE);
        }
        assertEquals(0, footer.getInt(VhdFormat.TIMESTAMP_OFFSET));
        UUID id = FIXED.uuid("vhd");
        assertEquals(id, new UUID(footer.getLong(VhdFormat.UNIQUE_ID_OFFSET),
                footer.getLong(VhdFormat.UNIQUE_ID_OFFSET + Long.BYTES)));
        int sum = 0;
        for (int i = 0; i < VhdFormat.FOOTER_SIZE; i++) {
            sum += i >= VhdFormat.CHECKSUM_OFFSET && i < VhdFormat.CHECKSUM_OFFSET + 4 ? 0 : footer.get(i) & 0xff;
        }
        assertEquals(~sum, footer.getInt(VhdFormat.CHECKSUM_OFFSET), "the specification's checksum");
    }

    private FormatContext context(Path disk) {
        return new FormatContext(BUILD, BuildRequested.CloudParameters.NONE, workDir, workDir, commands, FIXED,
                () -> disk);
    }

    /** A GPT disk of 3 MiB and 512 bytes. */
    private Path oddDisk() throws IOException {
        Path disk = workDir.resolve("odd.raw");
        try (RandomAccessFile file = new RandomAccessFile(disk.toFile(), "rw")) {
            file.setLength(3 * MIB + 512);
        }
        commands.run(Duration.ofMinutes(1), workDir, "label: gpt\nstart=2048, size=2048\n", "sfdisk", "--quiet",
                disk.toString());
        return disk;
    }
}
