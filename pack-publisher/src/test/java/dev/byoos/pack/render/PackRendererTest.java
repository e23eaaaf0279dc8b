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
                                "http://deb.mirror.example/debian"))));
    }

    static ArtifactStored artifact(String cloud, String format) {
        return artifact(cloud, format, List.of(), null);
    }

    /** What each target's build reports: the AMIs, the vSphere template (no folder), the Edge OS image. */
    static ArtifactStored built(String cloud, String format) {
        return switch (cloud) {
            case "aws" -> artifact(cloud, format, List.of(new CloudImage("aws", "us-east-1", "ami-0f4804aff4cf9c5a2"),
                    new CloudImage("aws", "eu-west-1", "ami-0123456789abcdef0")), null);
            case "vsphere" -> artifact(cloud, format, List.of(new CloudImage("vsphere", null, "r_u-debian-12-k-1304")),
                    null);
            case "edge" -> artifact(cloud, format, List.of(), new OciImage(EDGE_IMAGE, OS_IMAGE_DIGEST));
            default -> artifact(cloud, format);
        };
    }

    static final String EDGE_IMAGE = "registry.example.com:5000/byoos/edge/byoos-debian:1.2.3";

    private final PackRenderer renderer = new PackRenderer(SETTINGS);

    @Test
    void packsThePaletteFilesUnderOneFolderNamedAfterTheVersion() throws IOException {
        PackRenderer.RenderedPack pack = renderer.render(artifact("qemu", "qcow2"));
        assertEquals("byoos-debian-1.2.3.tar.gz", pack.fileName());
        Map<String, TarArchiveEntry> headers = new LinkedHashMap<>();
        Map<String, byte[]> entries = untar(pack.archive(), headers);
        assertEquals(List.of("byoos-debian-1.2.3/", "byoos-debian-1.2.3/README.md",
                "byoos-debian-1.2.3/logo.png", "byoos-debian-1.2.3/pack.json", "byoos-debian-1.2.3/schema.yaml",
                "byoos-debian-1.2.3/values.yaml"),
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
        "aws,     ami,     aws,       ami-0f4804aff4cf9c5a2",
        "qemu,    qcow2,   openstack, byoos-debian-1-2-3",
        "azure,   vhd,     azure,   https://byoos.blob.core.windows.net/vhds/abababababababababababababababababababababababababababababababab.vhd",
        "vsphere, ova,     vsphere, /Datacenter/vm/byoos/r_u-debian-12-k-1304",
        "gcp,     gcp-tar, gcp,     projects/images-prod/global/images/byoos-debian-1-2-3",
        "maas,    tgz,     maas,    custom/byoos-debian-1-2-3",
    })
    void genericPacksPointPaletteAtTheImageInItsInfrastructure(String cloud, String format, String cloudType,
            String osImageOverride) throws IOException {
        PackRenderer.RenderedPack pack = renderer.render(built(cloud, format));
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
    void awsPacksNameTheirAmisRegionInPackJsonAndListEveryRegionsAmi() throws IOException {
        PackRenderer.RenderedPack pack = renderer.render(built("aws", "ami"));
        assertTrue(text(pack, PackRenderer.VALUES_YAML).contains("  osImageOverride: \"ami-0f4804aff4cf9c5a2\"\n"));
        JsonNode annotations = new ObjectMapper().readTree(pack.files().get(PackRenderer.PACK_JSON)).get("annotations");
        assertEquals("us-east-1", annotations.get("cloudRegion").asText());
        assertEquals("us-east-1=ami-0f4804aff4cf9c5a2,eu-west-1=ami-0123456789abcdef0",
                annotations.get("byoos.dev/aws-amis").asText());
        String readme = text(pack, PackRenderer.README_MD);
        assertTrue(readme.contains("| region | AMI |\n|---|---|\n| us-east-1 | `ami-0f4804aff4cf9c5a2` |\n"
                + "| eu-west-1 | `ami-0123456789abcdef0` |\n"), readme);
    }

    @Test
    void cloudImagesTheBuilderReportsWinOverDerivedOnes() {
        String blob = "https://other.blob.core.windows.net/images/node-1.vhd";
        assertEquals(blob, renderer.render(artifact("azure", "vhd", List.of(new CloudImage("azure", null, blob)), null))
                .osImage().reference());
        String template = "/DC2/vm/golden/rhel-8-kube-v1.30.4";
        assertEquals(template, renderer.render(artifact("vsphere", "ova",
                List.of(new CloudImage("vsphere", "DC2", template)), null)).osImage().reference());
        assertEquals("byoos-node", renderer.render(artifact("qemu", "qcow2",
                List.of(new CloudImage("openstack", null, "byoos-node")), null)).osImage().reference());
    }

    @Test
    void vsphereTakesAnyTemplateNameButAnOvaReferenceNeedsTheRuPrefix() {
        for (String accepted : List.of("rhel-8-kube-v1.30.4", "/Datacenter/vm/sp-docs/rhel-8-kube-v1.30.4",
                "folder/r_u-2004-0-k-1243-0-new.ova", "r_u-debian-12-k-1304", "a", "nova", "x.ovf", "n".repeat(80),
                "/My DC/vm/Golden images (prod)/rhel 8")) {
            assertEquals(accepted.contains("/") ? accepted : "/Datacenter/vm/byoos/" + accepted,
                    renderer.render(vsphere(accepted)).osImage().reference(), accepted);
        }
        for (String refused : List.of("debian-12.ova", "/DC/vm/node.OVA", ".ova", "/DC/../vm/r_u-x", "/DC//vm/x",
                "/DC/vm/", " leading-space", "/DC/ vm/x", "n".repeat(81), "/DC/vm/x\"\nkey: y", "/DC/vm/50%")) {
            assertEquals("CLOUD_IMAGE_INVALID", assertThrows(UnpublishablePackException.class,
                    () -> renderer.render(vsphere(refused)), refused).code(), refused);
        }
    }

    @Test
    void aVsphereTemplateWithoutFolderIsPutInTheConfiguredFolderOrLeftBare() {
        assertEquals("/Datacenter/vm/byoos/node-template", renderer.render(vsphere("node-template")).osImage().reference());
        assertEquals("DC/vm/specfolder/node-template",
                renderer.render(vsphere("DC/vm/specfolder/node-template")).osImage().reference());
        assertEquals("node-template",
                new PackRenderer(TargetSettings.none()).render(vsphere("node-template")).osImage().reference());
        UnpublishablePackException e = assertThrows(UnpublishablePackException.class, () -> new PackRenderer(
                new TargetSettings(Optional.empty(), Optional.empty(), Optional.of("/DC/../vm"))).render(vsphere("node")));
        assertEquals("VSPHERE_TEMPLATE_FOLDER_INVALID", e.code());
        assertEquals(BuildFailed.INFRASTRUCTURE, e.category());
    }

    @Test
    void vsphereWithoutAReportedTemplateFailsTheBuild() {
        assertEquals("CLOUD_IMAGE_MISSING", assertThrows(UnpublishablePackException.class,
                () -> renderer.render(artifact("vsphere", "ova"))).code());
    }

    private static ArtifactStored vsphere(String template) {
        return artifact("vsphere", "ova", List.of(new CloudImage("vsphere", null, template)), null);
    }

    @Test
    void edgePacksAreEdgeNativeAndCarryTheSystemKeysCanvosEmits() throws IOException {
        PackRenderer.RenderedPack pack = renderer.render(built("edge", "oci"));
        JsonNode packJson = new ObjectMapper().readTree(pack.files().get(PackRenderer.PACK_JSON));
        assertEquals("edge-native", packJson.get("cloudTypes").get(0).asText());
        assertEquals("edge-native-byoi", packJson.get("annotations").get("byoos.dev/pack-kind").asText());
        assertEquals(OS_IMAGE_DIGEST, packJson.get("annotations").get("byoos.dev/os-image-digest").asText());
        assertEquals("# Bring Your Own OS for Edge (edge-native-byoi): the OS image this pack installs.\n"
                + "pack:\n"
                + "  content:\n"
                + "    images:\n"
                + "      - image: \"" + EDGE_IMAGE + "\"\n"
                + "options:\n"
                + "  system.uri: \"" + EDGE_IMAGE + "\"\n"
                + "  system.registry: \"registry.example.com:5000\"\n"
                + "  system.repo: \"byoos/edge/byoos-debian\"\n"
                + "  system.k8sDistribution: \"kubeadm\"\n"
                + "  system.osName: \"debian\"\n"
                + "  system.osVersion: \"12\"\n"
                + "  system.peVersion: \"\"\n"
                + "  system.customTag: \"1.2.3\"\n", text(pack, PackRenderer.VALUES_YAML));
        assertTrue(text(pack, PackRenderer.README_MD).contains("| manifest digest | `" + OS_IMAGE_DIGEST + "` |"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"aws, ami", "azure, vhd", "vsphere, ova", "gcp, gcp-tar", "maas, tgz", "qemu, qcow2", "edge, oci"})
    void everyKindOfPackPassesPackCentralsValidatorRules(String cloud, String format) {
        PackRenderer.RenderedPack pack = renderer.render(built(cloud, format));
        assertEquals(List.of(), PackCentralRules.violations(pack.files()));
    }

    @Test
    void theRulesCheckerRefusesWhatPackCentralRefuses() {
        Map<String, byte[]> files = new LinkedHashMap<>(renderer.render(built("gcp", "gcp-tar")).files());
        files.put(PackRenderer.PACK_JSON, ("{\"name\":\"n\",\"displayName\":\"\",\"version\":\"v1.0.0\",\"layer\":\"base\","
                + "\"cloudTypes\":[\"gce\"],\"constraints\":{\"dependencies\":[{\"packName\":\"kubernetes\","
                + "\"layer\":\"k8s\",\"type\":\"must\"}]}}").getBytes(StandardCharsets.UTF_8));
        files.put(PackRenderer.SCHEMA_YAML, "pack.osImageOverride:\n  schema: '{{ required | format \"${string:/^ami-[0-9a-f]+$/}\" }}'\n"
                .getBytes(StandardCharsets.UTF_8));
        files.remove(PackRenderer.LOGO_PNG);
        List<String> violations = PackCentralRules.violations(files);
        for (String expected : List.of("logo.png is missing", "pack.json: displayName must be a non-empty string",
                "pack.json: version has a leading v", "pack.json: layer \"base\"", "pack.json: cloud type \"gce\"",
                "pack.json: dependency type \"must\"", "schema.yaml: pack.osImageOverride refuses the pack's own value")) {
            assertTrue(violations.stream().anyMatch(v -> v.startsWith(expected)), () -> expected + " not in " + violations);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"aws, ami, kubernetes", "azure, vhd, kubernetes", "vsphere, ova, kubernetes", "gcp, gcp-tar, kubernetes",
        "maas, tgz, kubernetes", "qemu, qcow2, kubernetes", "edge, oci, edge-k8s"})
    void packsRequireTheKubernetesPackOfTheVersionBuiltIn(String cloud, String format, String kubernetesPack)
            throws IOException {
        JsonNode dependencies = new ObjectMapper().readTree(renderer.render(built(cloud, format)).files()
                .get(PackRenderer.PACK_JSON)).path("constraints").path("dependencies");
        assertEquals(1, dependencies.size());
        assertEquals(kubernetesPack, dependencies.get(0).get("packName").asText());
        assertEquals("k8s", dependencies.get(0).get("layer").asText());
        assertEquals("1.30.4", dependencies.get(0).get("minVersion").asText());
        assertEquals("1.30.4", dependencies.get(0).get("maxVersion").asText());
        assertEquals("required", dependencies.get(0).get("type").asText());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "aws,     ami,     pack.osImageOverride, ami-01234567,                        projects/p/global/images/x",
        "azure,   vhd,     pack.osImageOverride, https://a.blob.core.windows.net/v/x.VHD, /subscriptions/1/galleries/x",
        "vsphere, ova,     pack.osImageOverride, rhel-8-kube-v1.30.4,                  node.ova",
        "gcp,     gcp-tar, pack.osImageOverride, projects/my-proj/global/images/node,  Upper_Case",
        "maas,    tgz,     pack.osImageOverride, custom/node,                          ubuntu/jammy",
        "qemu,    qcow2,   pack.osImageOverride, Node_Image.v2,                        s3://bucket/sha256/ab",
        "edge,    oci,     options.system.uri,   example.io/my-images/os:v1.4.5,       not a reference",
    })
    void theSchemaChecksAnOverrideOfTheImageReferenceAsThePublisherDoes(String cloud, String format, String key,
            String valid, String invalid) throws IOException {
        PackRenderer.RenderedPack pack = renderer.render(built(cloud, format));
        java.util.regex.Pattern regex = PackCentralRules.stringRegex(pack.files(), key);
        assertTrue(regex.matcher(pack.osImage().reference()).matches(), pack.osImage().reference());
        assertTrue(regex.matcher(valid).matches(), valid);
        assertTrue(!regex.matcher(invalid).matches(), invalid);
        String schema = text(pack, PackRenderer.SCHEMA_YAML);
        assertTrue(schema.contains(key + ":\n  schema: '{{ required | format \"${string:/^(?:"), schema);
    }

    @Test
    void theReadmeCarriesTheClusterProfileLayerWithThePacksOwnValues() throws IOException {
        for (String cloud : List.of("gcp", "edge")) {
            PackRenderer.RenderedPack pack = renderer.render(built(cloud, cloud.equals("gcp") ? "gcp-tar" : "oci"));
            String readme = text(pack, PackRenderer.README_MD);
            int start = readme.indexOf("```json\n") + 8;
            JsonNode layer = new ObjectMapper().readTree(readme.substring(start, readme.indexOf("\n```", start)));
            assertEquals("byoos-debian", layer.get("name").asText());
            assertEquals("1.2.3", layer.get("tag").asText());
            assertEquals("spectro", layer.get("type").asText());
            assertEquals("os", layer.get("layer").asText());
            assertEquals(text(pack, PackRenderer.VALUES_YAML), layer.get("values").asText());
            assertTrue(readme.contains("data \"spectrocloud_pack\" \"byoos_os\" {\n  name         = \"byoos-debian\"\n"
                    + "  version      = \"1.2.3\"\n  registry_uid = data.spectrocloud_registry.byoos.id\n}\n"), readme);
            assertTrue(readme.contains("  values = data.spectrocloud_pack.byoos_os.values\n"), readme);
        }
    }

    @Test
    void anOsNameWithALineBreakStaysOneYamlString() throws IOException {
        ArtifactStored artifact = artifact("gcp", "gcp-tar");
        BuildCoordinates b = artifact.build();
        BuildCoordinates hostile = new BuildCoordinates(b.buildId(), b.team(), b.specName(), b.specVersion(),
                b.specDigest(), new BuildCoordinates.OperatingSystem("debian\"\n  osImageOverride: evil", "12"),
                b.kubernetesVersion(), b.target(), b.pack());
        PackRenderer.RenderedPack pack = renderer.render(new ArtifactStored(hostile, artifact.bucket(), artifact.key(),
                artifact.uri(), artifact.sha256(), artifact.size(), artifact.format(), artifact.sbom(), artifact.log(),
                artifact.signature(), artifact.cloudImages(), artifact.ociImage(), artifact.provenance()));
        JsonNode values = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper()
                .readTree(pack.files().get(PackRenderer.VALUES_YAML));
        assertEquals("debian\"\n  osImageOverride: evil", values.path("pack").path("osName").asText());
        assertEquals(pack.osImage().reference(), values.path("pack").path("osImageOverride").asText());
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
                "| base:debootstrap/bookworm | `" + "34".repeat(32) + "` | `http://deb.mirror.example/debian` |")) {
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
                artifact("vsphere", "ova", List.of(new CloudImage("vsphere", null, "/DC/vm/debian-template.ova")), null),
                artifact("qemu", "qcow2", List.of(new CloudImage("openstack", null, "s3://bucket/sha256/ab")), null),
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
        assertEquals("r_u-debian-12-k-1304", bare.render(built("vsphere", "ova")).osImage().reference());
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
