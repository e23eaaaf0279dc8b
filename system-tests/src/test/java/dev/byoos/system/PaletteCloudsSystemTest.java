package dev.byoos.system;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * One spec with five native Palette targets (azure, vsphere, gcp, maas, edge) through the local
 * stack: five builds, five packs. Every stored image is downloaded with the presigned URL
 * artifact-service hands out and read by tools the builder does not control (qemu-img, tar,
 * sha256sum, an XML parser, skopeo); every pack is pulled with skopeo and checked against the rules
 * of Spectro Cloud's pack-central validator (validator/pack-schema.json, validate-packs.sh).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PaletteCloudsSystemTest {

    private static final String EXAMPLE = "examples/debian-12-clouds.yaml";
    private static final List<String> CLOUDS = List.of("azure", "vsphere", "gcp", "maas", "edge");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** pack-central's pack-schema.json: what {@code cloudTypes}, layers and dependency types may be. */
    private static final Set<String> PALETTE_CLOUD_TYPES = Set.of("all", "aws", "azure", "gcp", "vsphere", "openstack",
            "baremetal", "maas", "aks", "eks", "tencent", "tke", "edge", "libvirt", "edge-native", "coxedge", "custom");
    private static final Set<String> PACK_LAYERS = Set.of("kernel", "os", "k8s", "cni", "csi", "addon");
    private static final Set<String> DEPENDENCY_TYPES = Set.of("required", "optional", "notSupported", "upgrade");
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final String OVF_NAMESPACE = "http://schemas.dmtf.org/ovf/envelope/1";
    /** An OVA manifest line as ovftool writes it: {@code SHA256(<member>)= <hex>}. */
    private static final Pattern MANIFEST_LINE = Pattern.compile("SHA256\\(([^)]+)\\)= ([0-9a-f]{64})");
    private static final long MIB = 1024 * 1024;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private LocalPipeline pipeline;
    private JsonNode spec;
    private String version;
    /** The spec's builds by target cloud, each in its final state. */
    private final Map<String, JsonNode> builds = new LinkedHashMap<>();
    /** Each cloud's pack folder, pulled and untarred once for every test that reads it. */
    private final Map<String, Path> packs = new HashMap<>();

    /** One for the class: the tests share the downloads and pulled packs. */
    @TempDir
    static Path scratch;

    @BeforeAll
    void buildTheSpecForEveryCloud() throws Exception {
        pipeline = LocalPipeline.start("clouds", "spec-service,build-worker,artifact-service,pack-publisher");
        byte[] example = Files.readAllBytes(pipeline.root.resolve(EXAMPLE));
        spec = YAML.readTree(example).path("spec");
        version = spec.path("pack").path("version").asText();
        HttpResponse<String> submitted = http.send(HttpRequest.newBuilder(
                URI.create(pipeline.specService() + "/api/v1/specs"))
                .header("Content-Type", "application/yaml")
                .header("Authorization", pipeline.bearer("system-test", "submitter", "platform"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(example)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, submitted.statusCode(), submitted.body());
        for (JsonNode summary : JSON.readTree(submitted.body()).path("builds")) {
            JsonNode build = pipeline.awaitFinalState(summary.path("id").asText());
            builds.put(build.path("target").path("cloud").asText(), build);
        }
    }

    @AfterAll
    void stopPipeline() throws Exception {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    @Test
    void oneSpecPublishesOnePackPerCloudNamedAfterTheSpecsPackAndTheCloud() {
        assertEquals(Set.copyOf(CLOUDS), builds.keySet(), "one build per target");
        for (String cloud : CLOUDS) {
            JsonNode build = builds.get(cloud);
            assertEquals("PUBLISHED", build.path("state").asText(), build.toPrettyString());
            assertEquals(registryHost() + "/byoos/spectro-packs/archive/" + packName(cloud) + ":" + version,
                    build.path("pack").path("reference").asText());
        }
    }

    @Test
    void theAzureVhdIsAFixedVpcDiskOfWholeMebibytes() throws Exception {
        Path vhd = storedArtifact("azure");
        // A fixed VHD (Azure takes no other) has no header, only a footer at its end, so qemu-img's
        // format probe calls it raw: it is opened as vpc, which reads and checks that footer.
        JsonNode info = JSON.readTree(run("qemu-img", "info", "-f", "vpc", "--output=json", vhd.toString()));
        long virtualSize = info.path("virtual-size").asLong();
        assertTrue(virtualSize > 0 && virtualSize % MIB == 0, "Azure takes whole MiB only: " + info.toPrettyString());
        assertEquals(virtualSize + 512, Files.size(vhd), "fixed: the disk's bytes and one 512-byte footer");
        // The footer (VHD specification): cookie "conectix", current size at 48, disk type 2 (fixed)
        // at 60, and at 64 the ones' complement of the sum of every other footer byte.
        byte[] footer = new byte[512];
        try (RandomAccessFile file = new RandomAccessFile(vhd.toFile(), "r")) {
            file.seek(file.length() - footer.length);
            file.readFully(footer);
        }
        ByteBuffer fields = ByteBuffer.wrap(footer);
        assertEquals("conectix", new String(footer, 0, 8, StandardCharsets.US_ASCII));
        assertEquals(virtualSize, fields.getLong(48), "the footer's current size");
        assertEquals(2, fields.getInt(60), "disk type fixed");
        int sum = 0;
        for (int i = 0; i < footer.length; i++) {
            sum += i >= 64 && i < 68 ? 0 : footer[i] & 0xff;
        }
        assertEquals(~sum, fields.getInt(64), "the footer's checksum");
    }

    @Test
    void theVsphereOvaHoldsADescriptorFirstAManifestThatHashesItsMembersAndAStreamOptimizedDisk() throws Exception {
        Path ova = storedArtifact("vsphere");
        List<String> members = run("tar", "-tf", ova.toString()).lines().toList();
        assertEquals(3, members.size(), "descriptor, manifest, disk: " + members);
        // OVF (DSP0243), the OVA package: the descriptor is the first member.
        assertTrue(members.get(0).endsWith(".ovf"), "the descriptor comes first: " + members);
        Path unpacked = Files.createDirectory(scratch.resolve("ova"));
        run("tar", "-xf", ova.toString(), "-C", unpacked.toString());
        String ovf = member(members, ".ovf");
        String manifest = member(members, ".mf");
        String vmdk = member(members, ".vmdk");

        JsonNode disk = JSON.readTree(run("qemu-img", "info", "--output=json", unpacked.resolve(vmdk).toString()));
        assertEquals("vmdk", disk.path("format").asText(), disk.toPrettyString());
        assertEquals("streamOptimized", disk.path("format-specific").path("data").path("create-type").asText(),
                disk.toPrettyString());

        Element envelope = parseXml(unpacked.resolve(ovf)).getDocumentElement();
        assertEquals(OVF_NAMESPACE, envelope.getNamespaceURI());
        assertEquals("Envelope", envelope.getLocalName());
        Element file = only(only(envelope, "References"), "File");
        assertEquals(vmdk, file.getAttributeNS(OVF_NAMESPACE, "href"), "the descriptor names the disk member");
        assertEquals(Files.size(unpacked.resolve(vmdk)), Long.parseLong(file.getAttributeNS(OVF_NAMESPACE, "size")));
        Element diskElement = only(only(envelope, "DiskSection"), "Disk");
        assertEquals(file.getAttributeNS(OVF_NAMESPACE, "id"), diskElement.getAttributeNS(OVF_NAMESPACE, "fileRef"),
                "the disk refers to the file");
        assertEquals(disk.path("virtual-size").asLong(), Long.parseLong(diskElement.getAttributeNS(OVF_NAMESPACE,
                "capacity")), "the descriptor's capacity is the disk's");
        only(envelope, "NetworkSection");
        Element system = only(envelope, "VirtualSystem");
        only(system, "OperatingSystemSection");
        only(system, "VirtualHardwareSection");

        Map<String, String> hashes = new HashMap<>();
        for (String line : Files.readAllLines(unpacked.resolve(manifest))) {
            Matcher matcher = MANIFEST_LINE.matcher(line);
            assertTrue(matcher.matches(), "a manifest line: " + line);
            hashes.put(matcher.group(1), matcher.group(2));
        }
        assertEquals(Set.of(ovf, vmdk), hashes.keySet(), "the manifest covers the descriptor and the disk");
        for (Map.Entry<String, String> hash : hashes.entrySet()) {
            assertEquals(hash.getValue(), sha256sum(unpacked.resolve(hash.getKey())), hash.getKey());
        }
    }

    @Test
    void theGceTarListsExactlyDiskRaw() throws Exception {
        List<String> listing = run("tar", "-tzvf", storedArtifact("gcp").toString()).lines().toList();
        assertEquals(1, listing.size(), "GCE import takes one member: " + listing);
        assertEquals("disk.raw", lastField(listing.get(0)), listing.get(0));
    }

    @Test
    void theMaasTgzIsTheRootTreeWithTheSpecsFiles() throws Exception {
        Map<String, String> modes = new HashMap<>();
        for (String line : run("tar", "-tzvf", storedArtifact("maas").toString()).lines().toList()) {
            modes.put(lastField(line).replaceFirst("^\\./", ""), line.substring(0, 10));
        }
        assertTrue(modes.containsKey("etc/os-release"), "the base's identity at the root: " + modes.keySet());
        for (JsonNode file : spec.path("customizations").path("files")) {
            String path = file.path("path").asText().substring(1);
            assertEquals(listedMode(file.path("mode").asText()), modes.get(path), path);
        }
    }

    @Test
    void theEdgeOsImageInTheRegistryIsTheStoredOciArchive() throws Exception {
        Path layout = storedArtifact("edge");
        String pushed = registryHost() + "/byoos/edge/" + packName("edge") + ":" + version;
        JsonNode inRegistry = JSON.readTree(run("skopeo", "inspect", "--tls-verify=false", "docker://" + pushed));
        assertEquals(JSON.readTree(run("skopeo", "inspect", "oci-archive:" + layout)).path("Digest").asText(),
                inRegistry.path("Digest").asText());
        assertEquals("linux", inRegistry.path("Os").asText());
        assertEquals("amd64", inRegistry.path("Architecture").asText());
        assertFalse(inRegistry.path("Layers").isEmpty(), inRegistry.toPrettyString());
    }

    /**
     * pack-central's validator (validate-packs.sh and pack-schema.json): valid pack.json with name,
     * displayName, version and layer, cloudTypes from Palette's list, dependencies as the schema
     * has them, string annotations, no leading 'v' on the version; logo.png and README.md present;
     * values.yaml as Palette parses it. The tag is the version.
     */
    @Test
    void everyPackPulledWithSkopeoPassesPackCentralsValidatorRules() throws Exception {
        for (String cloud : CLOUDS) {
            Path pack = pulledPack(cloud);
            JsonNode packJson = JSON.readTree(pack.resolve("pack.json").toFile());
            assertEquals(packName(cloud), packJson.path("name").asText());
            assertFalse(packJson.path("displayName").asText().isBlank(), cloud + ": displayName");
            assertEquals(version, packJson.path("version").asText(), cloud + ": version = tag");
            assertFalse(packJson.path("version").asText().startsWith("v"), cloud + ": no leading v");
            assertEquals("os", packJson.path("layer").asText(), cloud);
            assertTrue(packJson.path("cloudTypes").isArray() && !packJson.path("cloudTypes").isEmpty(), cloud);
            packJson.path("cloudTypes").forEach(type -> assertTrue(PALETTE_CLOUD_TYPES.contains(type.asText()),
                    cloud + ": cloudTypes entry " + type));
            for (JsonNode dependency : packJson.path("constraints").path("dependencies")) {
                assertFalse(dependency.path("packName").asText().isBlank(), cloud + ": " + dependency);
                assertTrue(PACK_LAYERS.contains(dependency.path("layer").asText()), cloud + ": " + dependency);
                assertTrue(DEPENDENCY_TYPES.contains(dependency.path("type").asText()), cloud + ": " + dependency);
            }
            packJson.path("annotations").fields().forEachRemaining(annotation -> assertTrue(
                    annotation.getValue().isTextual(), cloud + ": annotations are strings: " + annotation));
            assertTrue(YAML.readTree(pack.resolve("values.yaml").toFile()).isObject(), cloud + ": values.yaml");
            byte[] logo = Files.readAllBytes(pack.resolve("logo.png"));
            assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(logo, PNG_SIGNATURE.length), cloud + ": logo.png is a PNG");
            assertNotNull(ImageIO.read(pack.resolve("logo.png").toFile()), cloud + ": logo.png decodes");
            assertFalse(Files.readString(pack.resolve("README.md")).isBlank(), cloud + ": README.md");
        }
    }

    @Test
    void everyPackPointsPaletteAtItsCloudsImage() {
        // Every cloud is checked and reported, not only up to the first one that fails.
        assertAll(CLOUDS.stream().map(cloud -> () -> {
            Path pack = pulledPack(cloud);
            assertPaletteValues(cloud, JSON.readTree(pack.resolve("pack.json").toFile()),
                    YAML.readTree(pack.resolve("values.yaml").toFile()), builds.get(cloud));
        }));
    }

    /**
     * Each pack requires the Kubernetes pack of exactly the version built into the image (PXK for
     * clouds, PXK-E for Edge), and its schema.yaml makes Palette check an override of the image
     * reference.
     */
    @Test
    void everyPackIsPairedWithItsKubernetesVersionAndConstrainsAnOverrideOfItsImage() {
        String kubernetes = spec.path("kubernetes").path("version").asText();
        assertAll(CLOUDS.stream().map(cloud -> () -> {
            Path pack = pulledPack(cloud);
            JsonNode dependencies = JSON.readTree(pack.resolve("pack.json").toFile()).path("constraints").path("dependencies");
            assertEquals(1, dependencies.size(), cloud + ": " + dependencies);
            JsonNode k8s = dependencies.get(0);
            assertEquals(cloud.equals("edge") ? "edge-k8s" : "kubernetes", k8s.path("packName").asText(), cloud);
            assertEquals("k8s", k8s.path("layer").asText(), cloud);
            assertEquals("required", k8s.path("type").asText(), cloud);
            assertEquals(kubernetes, k8s.path("minVersion").asText(), cloud);
            assertEquals(kubernetes, k8s.path("maxVersion").asText(), cloud);

            JsonNode schema = YAML.readTree(pack.resolve("schema.yaml").toFile());
            String checked = cloud.equals("edge") ? "options.system.uri" : "pack.osImageOverride";
            String constraint = schema.path(checked).path("schema").asText();
            assertTrue(constraint.contains("required") && constraint.contains("format"), cloud + ": " + schema);
        }));
    }

    /**
     * The OS layer a team pastes into Palette: the catalog serves the Palette API pack entry and the
     * Terraform block for each published version, with exactly the values the pulled pack holds, and
     * the pack's README carries the same.
     */
    @Test
    void theCatalogServesEachPacksClusterProfileLayerWithThePacksOwnValues() {
        assertAll(CLOUDS.stream().map(cloud -> () -> {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(
                    pipeline.services.getProperty("pack-publisher.url") + "/api/v1/packs/" + packName(cloud)
                            + "/versions/" + version + "/cluster-profile-layer"))
                    .header("Authorization", pipeline.bearer("system-test", "viewer", "platform")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), cloud + ": " + response.body());
            JsonNode layer = JSON.readTree(response.body());
            JsonNode entry = layer.path("paletteApiLayer");
            Path pack = pulledPack(cloud);
            assertEquals(packName(cloud), entry.path("name").asText(), cloud);
            assertEquals(version, entry.path("tag").asText(), cloud);
            assertEquals("os", entry.path("layer").asText(), cloud);
            assertEquals(Files.readString(pack.resolve("values.yaml")), entry.path("values").asText(), cloud);
            String terraform = layer.path("terraform").asText();
            assertTrue(terraform.contains("name         = \"" + packName(cloud) + "\"")
                    && terraform.contains("version      = \"" + version + "\""), cloud + ": " + terraform);
            String readme = Files.readString(pack.resolve("README.md"));
            assertTrue(readme.contains(terraform.strip()), cloud + ": the README carries the Terraform block");
        }));
    }

    /**
     * What each pack hands Palette, per cloud (docs/packs.md, "Per target"). Kept apart from the
     * structural rules above: this is the part of the pack contract that changes with Palette's
     * pack shapes.
     */
    private void assertPaletteValues(String cloud, JsonNode packJson, JsonNode values, JsonNode build) {
        String cloudTypes = packJson.path("cloudTypes").toString();
        String osImage = values.path("pack").path("osImageOverride").asText();
        String gceName = packName(cloud) + "-" + version.replaceAll("[^a-z0-9-]+", "-");
        switch (cloud) {
            case "azure" -> {
                assertEquals("[\"azure\"]", cloudTypes);
                // The local stack has no Azure: its placeholder container never resolves.
                URI url = URI.create(osImage);
                assertEquals("https", url.getScheme(), osImage);
                assertTrue(url.getHost().endsWith(".invalid"), osImage);
                assertTrue(url.getPath().endsWith("/" + build.path("artifact").path("sha256").asText() + ".vhd"), osImage);
            }
            case "vsphere" -> {
                assertEquals("[\"vsphere\"]", cloudTypes);
                // The template the native build reports (cloudImages): the spec's folder and name, no .ova.
                JsonNode vsphere = target("vsphere").path("vsphere");
                assertEquals(vsphere.path("folder").asText() + "/" + vsphere.path("templateName").asText(), osImage);
            }
            case "gcp" -> {
                assertEquals("[\"gcp\"]", cloudTypes);
                assertTrue(osImage.equals(gceName) || osImage.matches("projects/[a-z][-a-z0-9.:]{4,61}[a-z0-9]/global/images/"
                        + Pattern.quote(gceName)), osImage);
            }
            case "maas" -> {
                assertEquals("[\"maas\"]", cloudTypes);
                assertEquals("custom/" + gceName, osImage);
            }
            case "edge" -> {
                assertEquals("[\"edge-native\"]", cloudTypes);
                String pushed = registryHost() + "/byoos/edge/" + packName("edge") + ":" + version;
                JsonNode options = values.path("options");
                String systemUri = options.has("system.uri") ? options.path("system.uri").asText()
                        : options.path("system").path("uri").asText();
                assertEquals(pushed, systemUri, values.toPrettyString());
                // The keys Palette Edge's builder (CanvOS) emits, filled from the pushed image and the build.
                assertEquals(registryHost(), options.path("system.registry").asText(), values.toPrettyString());
                assertEquals("byoos/edge/" + packName("edge"), options.path("system.repo").asText());
                assertEquals(version, options.path("system.customTag").asText());
                assertEquals("kubeadm", options.path("system.k8sDistribution").asText());
                assertEquals(spec.path("os").path("name").asText(), options.path("system.osName").asText());
                assertEquals(spec.path("os").path("version").asText(), options.path("system.osVersion").asText());
                assertTrue(options.has("system.peVersion"), values.toPrettyString());
            }
            default -> throw new AssertionError("no Palette values known for " + cloud);
        }
    }

    private JsonNode target(String cloud) {
        for (JsonNode target : spec.path("targets")) {
            if (cloud.equals(target.path("cloud").asText())) {
                return target;
            }
        }
        throw new AssertionError(EXAMPLE + " has no " + cloud + " target");
    }

    private String packName(String cloud) {
        return spec.path("pack").path("name").asText() + "-" + cloud;
    }

    private String registryHost() {
        return URI.create(pipeline.endpoints.getProperty("registry.url")).getAuthority();
    }

    /**
     * The cloud's stored image, downloaded with the presigned URL artifact-service's API hands a
     * viewer, and checked against the sha256 its build recorded.
     */
    private Path storedArtifact(String cloud) throws Exception {
        JsonNode build = builds.get(cloud);
        assertEquals("PUBLISHED", build.path("state").asText(), build.toPrettyString());
        String sha256 = build.path("artifact").path("sha256").asText();
        HttpResponse<String> presigned = http.send(HttpRequest.newBuilder(URI.create(
                pipeline.services.getProperty("artifact-service.url") + "/api/v1/artifacts/" + sha256 + "/download"))
                .header("Authorization", pipeline.bearer("system-test", "viewer", "platform")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, presigned.statusCode(), presigned.body());
        Path file = scratch.resolve(cloud + "-" + sha256);
        HttpResponse<Path> download = http.send(HttpRequest.newBuilder(URI.create(JSON.readTree(presigned.body())
                .path("url").asText())).build(), HttpResponse.BodyHandlers.ofFile(file));
        assertEquals(200, download.statusCode(), cloud + " download");
        assertEquals(sha256, sha256sum(file), cloud + ": the stored image has the recorded checksum");
        return file;
    }

    /**
     * The cloud's pack as Palette's registry client would fetch it: {@code skopeo copy} of the
     * tag into a directory, its one layer untarred.
     *
     * @return the pack's folder, {@code <name>-<version>/}
     */
    private synchronized Path pulledPack(String cloud) throws Exception {
        Path folder = packs.get(cloud);
        if (folder == null) {
            String name = packName(cloud);
            Path copied = scratch.resolve("pack-" + cloud);
            run("skopeo", "copy", "--src-tls-verify=false", "docker://" + registryHost()
                    + "/byoos/spectro-packs/archive/" + name + ":" + version, "dir:" + copied);
            JsonNode layers = JSON.readTree(copied.resolve("manifest.json").toFile()).path("layers");
            assertEquals(1, layers.size(), name + ": one layer, the pack archive");
            String layer = layers.get(0).path("digest").asText();
            Path blob = copied.resolve(layer.substring("sha256:".length()));
            assertEquals(layer, "sha256:" + sha256sum(blob), name + ": the layer matches its digest");
            Path untarred = Files.createDirectory(scratch.resolve("untarred-" + cloud));
            run("tar", "-xzf", blob.toString(), "-C", untarred.toString());
            try (Stream<Path> top = Files.list(untarred)) {
                assertEquals(List.of(untarred.resolve(name + "-" + version)), top.toList(),
                        name + ": one folder <name>-<version>");
            }
            folder = untarred.resolve(name + "-" + version);
            packs.put(cloud, folder);
        }
        return folder;
    }

    private String sha256sum(Path file) throws Exception {
        return run("sha256sum", "--", file.toString()).split(" ", 2)[0];
    }

    private static String member(List<String> members, String suffix) {
        List<String> found = members.stream().filter(member -> member.endsWith(suffix)).toList();
        assertEquals(1, found.size(), "one " + suffix + " member in " + members);
        return found.get(0);
    }

    /** An octal file mode as {@code tar -tv} lists a regular file with it, e.g. 0600 as -rw-------. */
    private static String listedMode(String octal) {
        int mode = Integer.parseInt(octal, 8);
        StringBuilder listed = new StringBuilder("-");
        for (int bit = 8; bit >= 0; bit--) {
            listed.append((mode & (1 << bit)) == 0 ? '-' : "rwx".charAt((8 - bit) % 3));
        }
        return listed.toString();
    }

    private static String lastField(String listingLine) {
        String[] fields = listingLine.strip().split("\\s+");
        return fields[fields.length - 1];
    }

    private static Document parseXml(Path file) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        // The descriptor comes from the build: no DTDs, no external entities.
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        factory.setXIncludeAware(false);
        factory.setExpandEntityReferences(false);
        return factory.newDocumentBuilder().parse(file.toFile());
    }

    /** The one OVF child element {@code name} of {@code parent}. */
    private static Element only(Element parent, String name) {
        List<Element> found = new ArrayList<>();
        for (var child = parent.getFirstChild(); child != null; child = child.getNextSibling()) {
            if (child instanceof Element element && OVF_NAMESPACE.equals(element.getNamespaceURI())
                    && name.equals(element.getLocalName())) {
                found.add(element);
            }
        }
        assertEquals(1, found.size(), "one ovf:" + name + " in ovf:" + parent.getLocalName());
        return found.get(0);
    }

    private static String run(String... command) throws IOException, InterruptedException {
        return Commands.run(scratch, command);
    }
}
