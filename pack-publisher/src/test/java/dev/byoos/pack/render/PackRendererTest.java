package dev.byoos.pack.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCoordinates;

class PackRendererTest {

    static final String SHA = "ab".repeat(32);

    static ArtifactStored artifact(String cloud) {
        BuildCoordinates build = new BuildCoordinates("5b3a3f0e-2a39-4d3c-9f55-0c7f3f1b2a10", "platform", "node", 3,
                "cd".repeat(32), new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
                new BuildCoordinates.Target(cloud, "qcow2"), new BuildCoordinates.Pack("byoos-debian", "1.2.3",
                        "Debian (BYOOS)"));
        return new ArtifactStored(build, "byoos-artifacts", "sha256/" + SHA, "s3://byoos-artifacts/sha256/" + SHA, SHA,
                1234, "qcow2");
    }

    private final PackRenderer renderer = new PackRenderer();

    @Test
    void packsTheFourPaletteFilesUnderOneFolderNamedAfterTheVersion() throws IOException {
        PackRenderer.RenderedPack pack = renderer.render(artifact("qemu"));
        assertEquals("byoos-debian-1.2.3.tar.gz", pack.fileName());
        Map<String, byte[]> entries = untar(pack.archive());
        assertEquals(java.util.List.of("byoos-debian-1.2.3/", "byoos-debian-1.2.3/README.md",
                "byoos-debian-1.2.3/logo.png", "byoos-debian-1.2.3/pack.json", "byoos-debian-1.2.3/values.yaml"),
                java.util.List.copyOf(entries.keySet()));
        byte[] logo = entries.get("byoos-debian-1.2.3/logo.png");
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(logo, 4));
    }

    @Test
    void packJsonIsAnOsLayerWithTheTargetsCloudType() throws IOException {
        JsonNode packJson = new ObjectMapper().readTree(renderer.render(artifact("qemu")).files().get("pack.json"));
        assertEquals("byoos-debian", packJson.get("name").asText());
        assertEquals("1.2.3", packJson.get("version").asText());
        assertEquals("Debian (BYOOS)", packJson.get("displayName").asText());
        assertEquals("os", packJson.get("layer").asText());
        assertEquals("custom", packJson.get("cloudTypes").get(0).asText());
        assertEquals(SHA, packJson.get("annotations").get("byoos.dev/image-sha256").asText());
    }

    @Test
    void valuesPointPaletteAtTheStoredImage() {
        String values = new String(renderer.render(artifact("qemu")).files().get("values.yaml"), StandardCharsets.UTF_8);
        assertTrue(values.contains("  osImageOverride: \"s3://byoos-artifacts/sha256/" + SHA + "\"\n"), values);
        assertTrue(values.contains("  osName: \"debian\"\n"), values);
        assertTrue(values.contains("  osVersion: \"12\"\n"), values);
    }

    @Test
    void renderingIsReproducible() {
        assertArrayEquals(renderer.render(artifact("qemu")).archive(), renderer.render(artifact("qemu")).archive());
    }

    private static Map<String, byte[]> untar(byte[] archive) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (var tar = new TarArchiveInputStream(new GZIPInputStream(new ByteArrayInputStream(archive)))) {
            for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null;) {
                entries.put(entry.getName(), tar.readAllBytes());
                assertEquals(0, entry.getLastModifiedDate().getTime(), "fixed timestamps");
            }
        }
        return entries;
    }
}
