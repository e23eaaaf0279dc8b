package dev.byoos.worker.builder.format;

import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;

/** The assembled GPT disk itself, byte for byte. */
final class RawFormat implements ImageFormat {

    @Override
    public boolean writtenFromTheDiskAlone() {
        return true;
    }

    @Override
    public String name() {
        return "raw";
    }

    @Override
    public Path write(FormatContext context) {
        return context.disk();
    }

    @Override
    public void verify(Path output, FormatContext context) {
        JsonNode info = context.qemuInfo(output, "raw");
        long fileSize = FormatContext.size(output);
        if (!"raw".equals(info.path("format").asText()) || info.path("virtual-size").asLong() != fileSize) {
            throw FormatContext.checkFailed(name(), "qemu-img reads " + info.path("format").asText() + " of "
                    + info.path("virtual-size").asLong() + " bytes from a file of " + fileSize + " bytes");
        }
    }
}
