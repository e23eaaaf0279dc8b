package dev.byoos.worker.builder.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.CommandRunner;

/** The VHD writer on a disk the assembler would never make: one whose size is not whole MiB. */
class VhdFormatTest {

    static final long MIB = 1024 * 1024;

    @TempDir
    Path workDir;

    private final CommandRunner commands = new CommandRunner(new BuildLog(), new BuildCancellation());

    @Test
    void roundsTheDiskUpToWholeMebibytesAndKeepsItsPartitionTableValid() throws IOException {
        Path disk = workDir.resolve("odd.raw");
        try (RandomAccessFile file = new RandomAccessFile(disk.toFile(), "rw")) {
            file.setLength(3 * MIB + 512);
        }
        commands.run(Duration.ofMinutes(1), workDir, "label: gpt\nstart=2048, size=2048\n", "sfdisk", "--quiet",
                disk.toString());
        BuildCoordinates build = new BuildCoordinates(UUID.randomUUID().toString(), "platform", "node", 1,
                "0".repeat(64), new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
                new BuildCoordinates.Target("azure", "vhd"), new BuildCoordinates.Pack("byoos-node", "1.0.0", "Node"));
        FormatContext context = new FormatContext(build, workDir, workDir, commands, () -> disk);
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
}
