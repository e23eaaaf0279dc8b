package dev.byoos.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** A spec file as the CLI sends or checks it: its bytes and whether it is JSON or YAML. */
record SpecFiles(Path path, byte[] content, boolean json) {

    /** Larger than any sensible spec; the server refuses far less (docs/spec-reference.md). */
    private static final long MAX_BYTES = 4 * 1024 * 1024;

    static SpecFiles read(Path path) {
        try {
            if (Files.size(path) > MAX_BYTES) {
                throw new CliException(ExitCodes.REJECTED, path + " is larger than " + MAX_BYTES + " bytes: not an image spec");
            }
            return new SpecFiles(path, Files.readAllBytes(path), path.getFileName().toString().toLowerCase().endsWith(".json"));
        } catch (NoSuchFileException e) {
            throw new CliException(ExitCodes.USAGE, "no such file: " + path, e);
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, "cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    String contentType() {
        return json ? "application/json" : "application/yaml";
    }
}
