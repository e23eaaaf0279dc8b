package dev.byoos.worker.builder.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gcp-tar and tgz archives and the OCI layer are reproducible only if their compressor's bytes
 * depend on the input alone: a worker on two cores and one on four, or one whose environment sets
 * gzip options, must write the same archive.
 */
class GzipCompressorTest {

    @TempDir
    Path dir;

    @Test
    void theArchiveIsTheSameOnAnyNumberOfThreadsAndInAnyEnvironmentOneGzipMemberWithoutNameOrTime() throws Exception {
        Path input = dir.resolve("input");
        Files.write(input, mixedContent(5 * 1024 * 1024 + 123));

        byte[] configured = compress(input, FormatContext.GZIP_COMPRESSOR, "configured");
        assertArrayEquals(compress(input, "pigz -n -p 1", "one-thread"), configured, "one thread");
        assertArrayEquals(compress(input, "pigz -n -p 4", "four-threads"), configured, "four threads");
        // The worker's environment does not reach the bytes (pigz reads options from GZIP and PIGZ).
        assertArrayEquals(configured, compress(input, FormatContext.GZIP_COMPRESSOR, "with-variables",
                Map.of("GZIP", "-1", "PIGZ", "--independent")), "GZIP and PIGZ set");
        // As the OCI layer is compressed: a named file, kept (-k), written beside it as NAME.gz.
        List<String> named = new ArrayList<>(List.of(FormatContext.GZIP_COMPRESSOR.split(" ")));
        named.addAll(List.of("-k", input.toString()));
        assertEquals(0, new ProcessBuilder(named).inheritIO().start().waitFor(), String.join(" ", named));
        assertArrayEquals(configured, Files.readAllBytes(dir.resolve("input.gz")),
                "a named file compresses to the same bytes: its name and time are not stored");
        assertTrue(Files.exists(input), "the input is kept");

        assertEquals(0x1f, configured[0] & 0xff);
        assertEquals(0x8b, configured[1] & 0xff);
        assertEquals(0, configured[3], "no name, comment or extra field (FLG)");
        assertArrayEquals(new byte[4], Arrays.copyOfRange(configured, 4, 8), "no modification time (MTIME)");
        try (InputStream read = new GZIPInputStream(Files.newInputStream(dir.resolve("configured")))) {
            assertArrayEquals(Files.readAllBytes(input), read.readAllBytes(), "a gzip reader gets the input back");
        }
        // The member's trailer holds the whole input's length: one member, not one per block.
        int length = (configured[configured.length - 4] & 0xff) | (configured[configured.length - 3] & 0xff) << 8
                | (configured[configured.length - 2] & 0xff) << 16 | (configured[configured.length - 1] & 0xff) << 24;
        assertEquals(Files.size(input), length);
    }

    /** Text, runs of zeros and incompressible bytes, over many of pigz's 128 KiB blocks. */
    private static byte[] mixedContent(int size) {
        byte[] content = new byte[size];
        Random random = new Random(42);
        byte[] text = "deb http://mirror.invalid/debian bookworm main\n".getBytes(StandardCharsets.US_ASCII);
        for (int offset = 0; offset < size; offset += 64 * 1024) {
            int end = Math.min(size, offset + 64 * 1024);
            switch ((offset / (64 * 1024)) % 3) {
                case 0 -> {
                    for (int i = offset; i < end; i++) {
                        content[i] = text[i % text.length];
                    }
                }
                case 1 -> {
                    byte[] noise = new byte[end - offset];
                    random.nextBytes(noise);
                    System.arraycopy(noise, 0, content, offset, noise.length);
                }
                default -> {
                    // zeros
                }
            }
        }
        return content;
    }

    private byte[] compress(Path input, String compressor, String name) throws IOException, InterruptedException {
        return compress(input, compressor, name, Map.of());
    }

    private byte[] compress(Path input, String compressor, String name, Map<String, String> environment)
            throws IOException, InterruptedException {
        Path output = dir.resolve(name);
        List<String> command = new ArrayList<>(List.of(compressor.split(" ")));
        ProcessBuilder builder = new ProcessBuilder(command).redirectInput(input.toFile())
                .redirectOutput(output.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().putAll(environment);
        Process process = builder.start();
        assertEquals(0, process.waitFor(), compressor);
        return Files.readAllBytes(output);
    }
}
