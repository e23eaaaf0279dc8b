package dev.byoos.pack.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPInputStream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCompleted.CloudImage;
import dev.byoos.contract.BuildCompleted.OciImage;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildFailed;

class PackRendererTest {

    static final String SHA = "ab".repeat(32);
    static final String OS_IMAGE_DIGEST = "sha256:" + "ef".repeat(32);
    static final TargetSettings SETTINGS = new TargetSettings(
            Optional.of(URI.create("https://byoos.blob.core.windows.net/vhds/")), Optional.of("images-prod"),
            Optional.of("/Datacenter/vm/byoos"));

    static ArtifactStored artifact(String cloud, String format, List<CloudImage> cloudImages, OciImage ociImage) {
        BuildCoordinates build = new BuildCoordinates("5b3a3f0e-2a39-4d3c-9f55-0c7f3f1b2a10", "platform", "node", 3,
                "cd".repeat(32), new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
                new BuildCoordinates.Target(cloud, format), new BuildCoordinates.Pack("byoos-debian", "1.2.3",
                        "Debian (BYOOS)"));
        return new ArtifactStored(build, "byoos-artifacts", "sha256/" + SHA, "s3://byoos-artifacts/sha256/" + SHA, SHA,
                1234, format, new ArtifactStored.StoredObject("byoos-artifacts", "sboms/" + SHA + ".cdx.json", SHA, 10),
                null, new ArtifactStored.Signature("cosign-blob", "sha256:" + "12".repeat(32), "MEUCIQ=="), cloudImages,
                ociImage, new BuildCompleted.Provenance("native 0.4.0", "2026-11-26T00:00:00Z", "2026-11-26T00:01:30Z",
                        List.of(new BuildCompleted.Input("base:debootstrap/bookworm", "34".repeat(32),
                                "http://deb.debian.org/debian"))));
    }

    static ArtifactStored artifact(String cloud, String format) {
        return artifact(cloud, format, List.of(), null);
    }

    private final PackRenderer renderer = new PackRenderer(SETTINGS);

    @Test
    void packsTheFourPaletteFilesUnderOneFolderNamedAfterTheVersion() throws IOException {
        PackRenderer.RenderedPack pack = renderer.render(artifact("qemu", "qcow2"));
        assertEquals("byoos-debian-1.2.3.tar.gz", pack.fileName());
        Map<String, TarArchiveEntry> headers = new LinkedHashMap<>();
        Map<String, byte[]> entries = untar(pack.archive(), headers);
        assertEquals(List.of("byoos-debian-1.2.3/", "byoos-debian-1.2.3/README.md",
                "byoos-debian-1.2.3/logo.png", "byoos-debian-1.2.3/pack.json", "byoos-debian-1.2.3/values.yaml"),
                List.copyOf(entries.keySet()));
        byte[] logo = entries.get("byoos-debian-1.2.3/logo.png");
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(logo, 4));
        for (TarArchiveEntry entry : headers.values()) {
            assertEquals(0, entry.getLastModifiedDate().getTime(), entry.getName() + ": fixed time");
            assertEquals(0, entry.getLongUserId(), entry.getName() + ": root owner");
            assertEquals(entry.isDirectory() ? 0755 : 0644, entry.getMode() & 0777, entry.getName() + ": fixed mode");
        }
    }

    @Test
    void renderingIsReproducibleDownToTheGzipHeader() {
        byte[] first = renderer.render(artifact("qemu", "qcow2")).archive();
        assertArrayEquals(first, renderer.render(artifact("qemu", "qcow2")).archive());
        assertArrayEquals(new byte[] {0, 0, 0, 0}, Arrays.copyOfRange(first, 4, 8), "gzip header without mtime");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "qemu,    qcow2,   custom,  s3://byoos-artifacts/sha256/abababababababababababababababababababababababababababababababab",
        "azure,   vhd,     azure,   https://byoos.blob.core.windows.net/vhds/abababababababababababababababababababababababababababababababab.vhd",
        "vsphere, ova,     vsphere, /Datacenter/vm/byoos/r_u-debian-12-k-1304.ova",
        "gcp,     gcp-tar, gcp,     projects/images-prod/global/images/byoos-debian-1-2-3",
        "maas,    tgz,     maas,    custom/byoos-debian-1-2-3",
    })
    void genericPacksPointPaletteAtTheImageInItsInfrastructure(String cloud, String format, String cloudType,
            String osImageOverride) throws IOException {
        PackRenderer.RenderedPack pack = renderer.render(artifact(cloud, format));
        JsonNode packJson = new ObjectMapper().readTree(pack.files().get(PackRenderer.PACK_JSON));
        assertEquals("byoos-debian", packJson.get("name").asText());
        assertEquals("1.2.3", packJson.get("version").asText());
        assertEquals("Debian (BYOOS)", packJson.get("displayName").asText());
        assertEquals("os", packJson.get("layer").asText());
        assertEquals(List.of(cloudType), List.of(packJson.get("cloudTypes").get(0).asText()));
        assertEquals(1, packJson.get("cloudTypes").size());
        assertEquals("generic-byoi", packJson.get("annotations").get("byoos.dev/pack-kind").asText());
        assertEquals("# Bring Your Own OS (generic-byoi): the node image this pack deploys.\n"
                + "pack:\n"
                + "  osImageOverride: \"" + osImageOverride + "\"\n"
                + "  osName: \"debian\"\n"
                + "  osVersion: \"12\"\n", text(pack, PackRenderer.VALUES_YAML));
    }

    @Test
    void awsPacksUseTheFirstRegionsAmiAndListTheOthers() {
        PackRenderer.RenderedPack pack = renderer.render(artifact("aws", "ami", List.of(
                new CloudImage("aws", "us-east-1", "ami-0f4804aff4cf9c5a2"),
                new CloudImage("aws", "eu-west-1", "ami-0123456789abcdef0")), null));
        String values = text(pack, PackRenderer.VALUES_YAML);
        assertTrue(values.contains("  osImageOverride: \"ami-0f4804aff4cf9c5a2\"\n"), values);
        assertTrue(values.contains("#   eu-west-1: ami-0123456789abcdef0\n"), values);
        assertTrue(text(pack, PackRenderer.README_MD).contains("| AMI in eu-west-1 | `ami-0123456789abcdef0` |"));
    }

    @Test
    void cloudImagesTheBuilderReportsWinOverDerivedOnes() {
        String blob = "https://other.blob.core.windows.net/images/node-1.vhd";
        assertEquals(blob, renderer.render(artifact("azure", "vhd", List.of(new CloudImage("azure", null, blob)), null))
                .osImage().reference());
        String template = "/DC2/vm/golden/r_u-debian-12-k-1304-custom";
        assertEquals(template, renderer.render(artifact("vsphere", "ova",
                List.of(new CloudImage("vsphere", "DC2", template)), null)).osImage().reference());
    }

    @Test
    void edgePacksAreEdgeNativeAndNameTheOsImage() throws IOException {
        String reference = "registry.example.com:5000/edge/debian-os:1.2.3";
        PackRenderer.RenderedPack pack = renderer.render(artifact("edge", "oci", List.of(),
                new OciImage(reference, OS_IMAGE_DIGEST)));
        JsonNode packJson = new ObjectMapper().readTree(pack.files().get(PackRenderer.PACK_JSON));
        assertEquals("edge-native", packJson.get("cloudTypes").get(0).asText());
        assertEquals("edge-native-byoi", packJson.get("annotations").get("byoos.dev/pack-kind").asText());
        assertEquals(OS_IMAGE_DIGEST, packJson.get("annotations").get("byoos.dev/os-image-digest").asText());
        assertEquals("# Bring Your Own OS for Edge (edge-native-byoi): the OS image this pack installs.\n"
                + "pack:\n"
                + "  content:\n"
                + "    images:\n"
                + "      - image: \"" + reference + "\"\n"
                + "options:\n"
                + "  system.uri: \"" + reference + "\"\n", text(pack, PackRenderer.VALUES_YAML));
        assertTrue(text(pack, PackRenderer.README_MD).contains("| manifest digest | `" + OS_IMAGE_DIGEST + "` |"));
    }

    @Test
    void readmeCarriesTheProvenance() {
        String readme = text(renderer.render(artifact("qemu", "qcow2")), PackRenderer.README_MD);
        for (String expected : List.of("| team | platform |", "| spec | node version 3 |",
                "| spec digest | `" + "cd".repeat(32) + "` |", "| build | `5b3a3f0e-2a39-4d3c-9f55-0c7f3f1b2a10` |",
                "| artifact sha256 | `" + SHA + "` |",
                "| signature | cosign-blob by key `sha256:" + "12".repeat(32) + "`: `MEUCIQ==` |",
                "| SBOM | `s3://byoos-artifacts/sboms/" + SHA + ".cdx.json` (sha256 `" + SHA + "`) |",
                "| build log | none |",
                "| builder | native 0.4.0 |",
                "| built | 2026-11-26T00:00:00Z to 2026-11-26T00:01:30Z |",
                "| base:debootstrap/bookworm | `" + "34".repeat(32) + "` | `http://deb.debian.org/debian` |")) {
            assertTrue(readme.contains(expected), () -> expected + " missing from\n" + readme);
        }
    }

    @Test
    void awsWithoutAnAmiFailsTheBuildInsteadOfPointingAtNothing() {
        UnpublishablePackException e = assertThrows(UnpublishablePackException.class,
                () -> renderer.render(artifact("aws", "ami")));
        assertEquals("CLOUD_IMAGE_MISSING", e.code());
        assertEquals(BuildFailed.BUILDER, e.category());
    }

    @Test
    void edgeWithoutAnOsImageFailsTheBuild() {
        assertEquals("CLOUD_IMAGE_MISSING", assertThrows(UnpublishablePackException.class,
                () -> renderer.render(artifact("edge", "oci"))).code());
    }

    @Test
    void malformedCloudImagesAreRefused() {
        for (ArtifactStored invalid : List.of(
                artifact("aws", "ami", List.of(new CloudImage("aws", "us-east-1", "ami-XYZ")), null),
                artifact("aws", "ami", List.of(new CloudImage("aws", null, "ami-0f4804aff4cf9c5a2")), null),
                artifact("azure", "vhd", List.of(new CloudImage("azure", null,
                        "/subscriptions/1/resourceGroups/g/providers/Microsoft.Compute/galleries/x/images/y")), null),
                artifact("azure", "vhd", List.of(new CloudImage("azure", null, "http://acct.blob.core.windows.net/v/a.vhd")), null),
                artifact("vsphere", "ova", List.of(new CloudImage("vsphere", null, "/DC/vm/debian-template")), null),
                artifact("gcp", "gcp-tar", List.of(new CloudImage("gcp", null, "Images/Upper_Case")), null),
                artifact("maas", "tgz", List.of(new CloudImage("maas", null, "ubuntu/jammy")), null),
                artifact("edge", "oci", List.of(), new OciImage("not a reference", OS_IMAGE_DIGEST)))) {
            UnpublishablePackException e = assertThrows(UnpublishablePackException.class, () -> renderer.render(invalid),
                    () -> invalid.build().target().cloud() + " " + invalid.cloudImages() + " " + invalid.ociImage());
            assertEquals("CLOUD_IMAGE_INVALID", e.code());
        }
    }

    @Test
    void azureWithoutABlobLocationIsAnInstallationProblem() {
        UnpublishablePackException e = assertThrows(UnpublishablePackException.class,
                () -> new PackRenderer(TargetSettings.none()).render(artifact("azure", "vhd")));
        assertEquals("AZURE_VHD_LOCATION_UNCONFIGURED", e.code());
        assertEquals(BuildFailed.INFRASTRUCTURE, e.category());
    }

    @Test
    void withoutInstallationSettingsGcpAndVsphereUseBareNames() {
        PackRenderer bare = new PackRenderer(TargetSettings.none());
        assertEquals("byoos-debian-1-2-3", bare.render(artifact("gcp", "gcp-tar")).osImage().reference());
        assertEquals("r_u-debian-12-k-1304.ova", bare.render(artifact("vsphere", "ova")).osImage().reference());
    }

    private static String text(PackRenderer.RenderedPack pack, String file) {
        return new String(pack.files().get(file), StandardCharsets.UTF_8);
    }

    private static Map<String, byte[]> untar(byte[] archive, Map<String, TarArchiveEntry> headers) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (var tar = new TarArchiveInputStream(new GZIPInputStream(new ByteArrayInputStream(archive)))) {
            for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null;) {
                entries.put(entry.getName(), tar.readAllBytes());
                headers.put(entry.getName(), entry);
            }
        }
        return entries;
    }
}
