package dev.byoos.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

/** The records, the JSON Schemas and the AsyncAPI document describe the same contract. */
class ContractTest {

    static final String SHA = "ab".repeat(32);
    static final ObjectMapper JSON = new ObjectMapper();

    static BuildCoordinates coordinates() {
        return new BuildCoordinates("5b3a3f0e-2a39-4d3c-9f55-0c7f3f1b2a10", "platform", "node", 2, SHA,
                new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
                new BuildCoordinates.Target("qemu", "qcow2"), new BuildCoordinates.Pack("p", "1.0.0", "P"));
    }

    static Stream<Arguments> events() {
        return Stream.of(
                Arguments.of("BuildRequested", new BuildRequested(coordinates(), new BuildRequested.BaseImage("base"),
                        List.of(new BuildRequested.FileCustomization("/etc/motd", "hi", "0644")))),
                Arguments.of("BuildRequested", new BuildRequested(coordinates(), new BuildRequested.BaseImage("base"),
                        List.of(new BuildRequested.FileCustomization("/etc/motd", "hi", "0600", "ops:ops")), "standard",
                        List.of("curl"), List.of(new BuildRequested.User("ops", List.of("sudo"), List.of("ssh-ed25519 AAAA ops"))),
                        java.util.Map.of("net.ipv4.ip_forward", "1"), List.of("br_netfilter"),
                        List.of(new BuildRequested.CaCertificate("corp-root", "-----BEGIN CERTIFICATE-----")),
                        List.of(new BuildRequested.Script("harden", "post", "echo hi", 60)))),
                Arguments.of("BuildRequested", new BuildRequested(coordinates(),
                        new BuildRequested.BaseImage(null, new BuildRequested.Debootstrap("bookworm", "https://deb.mirror.example/debian")),
                        List.of())),
                Arguments.of("BuildRequested", new BuildRequested(coordinates(), new BuildRequested.BaseImage("base"),
                        List.of(), "standard", List.of("curl"), null, null, null, null, null, BuildRequested.IMAGE_BUILDER,
                        new BuildRequested.CloudParameters(List.of("eu-west-1", "us-east-1"), null, null, null), null,
                        "schedule")),
                Arguments.of("BuildRequested", new BuildRequested(coordinates(),
                        BuildRequested.BaseImage.of(new BuildRequested.Tarball("https://images.example.com/base.tar.gz", SHA)),
                        List.of(), "standard", null, null, null, null, null, null, null, null,
                        new BuildRequested.Kubernetes("1.30.4", "1.7.13", "1.3.0", "1.28.0"))),
                Arguments.of("BuildCompleted", new BuildCompleted(coordinates(),
                        new BuildCompleted.StagedObject("staging", "builds/x/disk.raw", SHA, 10, "raw"), "native", 5,
                        new BuildCompleted.BootTest("passed", "tcg", 21000))),
                Arguments.of("BuildCompleted", new BuildCompleted(coordinates(),
                        new BuildCompleted.StagedObject("staging", "builds/x/disk.qcow2", SHA, 10, "qcow2"), "native", 5,
                        new BuildCompleted.BootTest("passed", "tcg", 21000),
                        new BuildCompleted.StagedObject("staging", "builds/x/sbom.cdx.json", SHA, 3, "cyclonedx+json"),
                        new BuildCompleted.StagedObject("staging", "builds/x/build.log", SHA, 4, "text"),
                        new BuildCompleted.Provenance("0.4.0", "2026-11-26T00:00:00Z", "2026-11-26T00:01:00Z",
                                List.of(new BuildCompleted.Input("base:debootstrap/bookworm", SHA, null))),
                        List.of(new BuildCompleted.CloudImage("aws", "eu-west-1", "ami-0abc")),
                        new BuildCompleted.OciImage("registry:5000/byoos/edge/node:1.0.0", "sha256:" + SHA))),
                Arguments.of("BuildStarted", new BuildStarted(coordinates(), "worker-1")),
                Arguments.of("BuildProgress", new BuildProgress(coordinates(), "build", "disk", 70, null, "writing qcow2")),
                Arguments.of("BuildProgress", new BuildProgress(coordinates(), "pack", "push", 0, "registry", "registry unreachable, retrying")),
                Arguments.of("BuildCancelled", new BuildCancelled(coordinates(), "alice")),
                Arguments.of("BuildCompleted", new BuildCompleted(coordinates(),
                        new BuildCompleted.StagedObject("staging", "builds/x/disk.qcow2", SHA, 10, "qcow2"), "native", 5)),
                Arguments.of("BuildFailed", new BuildFailed(coordinates(), "build", "BASE_NOT_FOUND", "no base", false)),
                Arguments.of("BuildFailed", new BuildFailed(coordinates(), "build", "MIRROR_UNREACHABLE", "mirror down", true,
                        BuildFailed.INFRASTRUCTURE, 3)),
                Arguments.of("ArtifactStored", new ArtifactStored(coordinates(), "artifacts", "sha256/" + SHA,
                        "s3://artifacts/sha256/" + SHA, SHA, 10, "qcow2")),
                Arguments.of("ArtifactStored", new ArtifactStored(coordinates(), "artifacts", "sha256/" + SHA,
                        "s3://artifacts/sha256/" + SHA, SHA, 10, "qcow2",
                        new ArtifactStored.StoredObject("artifacts", "sbom/" + SHA, SHA, 3),
                        new ArtifactStored.StoredObject("artifacts", "logs/x", SHA, 4),
                        new ArtifactStored.Signature("cosign-blob", "sha256:" + SHA, "MEUCIQ=="),
                        List.of(new BuildCompleted.CloudImage("aws", "eu-west-1", "ami-0abc")), null,
                        new BuildCompleted.Provenance("0.4.0", "2026-11-26T00:00:00Z", "2026-11-26T00:01:00Z",
                                List.of(new BuildCompleted.Input("base:debootstrap/bookworm", SHA, null))))),
                Arguments.of("ArtifactStored", new ArtifactStored(coordinates(), "artifacts", "sha256/" + SHA,
                        "s3://artifacts/sha256/" + SHA, SHA, 10, "qcow2", null, null, null, null, null, null,
                        new ArtifactStored.StoredObject("artifacts", "provenance/b-1/" + SHA + ".intoto.json", SHA, 900))),
                Arguments.of("SpecRejected", new SpecRejected("submission-1", "urn:ci:pipeline",
                        List.of(new SpecRejected.Violation("/metadata/name", "INVALID_FORMAT", "not a DNS label")))),
                Arguments.of("PackPublished", new PackPublished(coordinates(),
                        "registry:5000/byoos/spectro-packs/archive/p:1.0.0", "sha256:" + SHA, "s3://artifacts/sha256/" + SHA)),
                Arguments.of("PackRetired", new PackRetired("p", "1.0.0", "platform", "b-1", "sha256:" + SHA, SHA,
                        "CVE-2026-0001 in the kernel", "root", "2026-12-05T07:00:00Z")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("events")
    void everyEventTheRecordsWriteMatchesItsSchemaAndReadsBack(String definition, Object event) throws IOException {
        String json = EventJson.write(event);
        Set<ValidationMessage> errors = schema(definition).validate(JSON.readTree(json));
        assertTrue(errors.isEmpty(), definition + ": " + errors);
        assertEquals(event, EventJson.read(json, event.getClass()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("events")
    void anEventMissingARequiredFieldIsRejectedByTheSchemaAndTheRecords(String definition, Object event)
            throws IOException {
        ObjectNode payload = (ObjectNode) JSON.readTree(EventJson.write(event));
        payload.remove(payload.has("build") ? "build" : payload.has("pack") ? "pack" : "submissionId");
        assertFalse(schema(definition).validate(payload).isEmpty());
        assertThrows(EventJson.MalformedEventException.class, () -> EventJson.read(payload.toString(), event.getClass()));
    }

    @Test
    void aBuildRequestOfTheFirstReleaseStillReads() {
        String skeleton = EventJson.write(new BuildRequested(coordinates(), new BuildRequested.BaseImage("base"), List.of()))
                .replaceAll(",\"(imageType|packages|users|sysctl|kernelModules|caCertificates|scripts|builder)\":(\"[a-z]*\"|\\[\\]|\\{\\})", "")
                .replaceAll(",\"cloud\":\\{[^}]*\\}", "");
        assertFalse(skeleton.contains("imageType") || skeleton.contains("awsRegions") || skeleton.contains("builder"), skeleton);
        BuildRequested read = EventJson.read(skeleton, BuildRequested.class);
        assertEquals("standard", read.imageType());
        assertTrue(read.users().isEmpty() && read.sysctl().isEmpty() && read.scripts().isEmpty());
        assertEquals(BuildRequested.NATIVE, read.builder());
        assertEquals(BuildRequested.CloudParameters.NONE, read.cloud());
        assertEquals(null, read.kubernetes(), "a request from before the Kubernetes components installs none");
        assertEquals(null, read.trigger(), "a request from before the trigger says none");
    }

    @Test
    void everyBuildTriggerOfTheRecordIsTheSchemasAndNoOtherReads() throws IOException {
        JsonNode documented;
        try (InputStream in = ContractTest.class.getResourceAsStream("/byoos/contract/events.schema.json")) {
            documented = JSON.readTree(in).path("$defs").path("BuildRequested").path("properties").path("trigger")
                    .path("enum");
        }
        Set<String> schemaTriggers = new TreeSet<>();
        documented.forEach(value -> schemaTriggers.add(value.asText()));
        assertEquals(new TreeSet<>(BuildRequested.TRIGGERS), schemaTriggers);
        String unknown = EventJson.write(new BuildRequested(coordinates(), new BuildRequested.BaseImage("base"), List.of(),
                "standard", null, null, null, null, null, null, null, null, null, "retry"))
                .replace("\"retry\"", "\"because-i-said-so\"");
        assertFalse(schema("BuildRequested").validate(JSON.readTree(unknown)).isEmpty());
        assertThrows(EventJson.MalformedEventException.class, () -> EventJson.read(unknown, BuildRequested.class));
    }

    @Test
    void aBaseIsExactlyOneKindAndATarballIsPinnedByItsDigest() {
        var tarball = new BuildRequested.Tarball("https://images.example.com/base.tar.gz", SHA);
        assertThrows(IllegalArgumentException.class, () -> new BuildRequested.BaseImage("base", null, tarball));
        assertThrows(IllegalArgumentException.class, () -> new BuildRequested.BaseImage(null, null, null));
        assertThrows(IllegalArgumentException.class,
                () -> new BuildRequested.Tarball("https://images.example.com/base.tar.gz", "AB".repeat(32)));
        String unpinned = EventJson.write(new BuildRequested(coordinates(), BuildRequested.BaseImage.of(tarball), List.of()))
                .replace(SHA, "");
        assertThrows(EventJson.MalformedEventException.class, () -> EventJson.read(unpinned, BuildRequested.class));
    }

    @Test
    void aBuildFailureOutsideTheKnownCategoriesIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> new BuildFailed(coordinates(), "build", "X", "y", false, "weather", 1));
        String unknown = EventJson.write(new BuildFailed(coordinates(), "build", "X", "y", false, BuildFailed.SPEC, 1))
                .replace("\"spec\"", "\"weather\"");
        assertThrows(EventJson.MalformedEventException.class, () -> EventJson.read(unknown, BuildFailed.class));
    }

    @Test
    void progressOutsideZeroToHundredIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new BuildProgress(coordinates(), "build", "disk", 101, null, null));
    }

    @Test
    void malformedJsonIsAMalformedEvent() {
        assertThrows(EventJson.MalformedEventException.class, () -> EventJson.read("{nope", BuildFailed.class));
        assertThrows(EventJson.MalformedEventException.class, () -> EventJson.read("", BuildFailed.class));
    }

    @Test
    void laterOptionalFieldsAreTolerated() {
        String withExtra = EventJson.write(new BuildFailed(coordinates(), "pack", "X", "y", true))
                .replaceFirst("\\{", "{\"addedInALaterRelease\":1,");
        assertEquals("X", EventJson.read(withExtra, BuildFailed.class).code());
    }

    @Test
    void theAsyncApiDocumentNamesEveryTypeAndTopicOfTheCode() throws IOException {
        JsonNode asyncApi;
        try (InputStream in = ContractTest.class.getResourceAsStream("/byoos/contract/asyncapi.yaml")) {
            asyncApi = new YAMLMapper().readTree(in);
        }
        Set<String> documentedTypes = new TreeSet<>();
        asyncApi.path("components").path("messages").forEach(message -> documentedTypes.add(message.path("name").asText()));
        assertEquals(new TreeSet<>(Set.of(EventTypes.SPEC_SUBMITTED, EventTypes.SPEC_REJECTED, EventTypes.BUILD_REQUESTED,
                EventTypes.BUILD_STARTED, EventTypes.BUILD_PROGRESS, EventTypes.BUILD_CANCELLED, EventTypes.BUILD_COMPLETED, EventTypes.BUILD_FAILED,
                EventTypes.ARTIFACT_STORED, EventTypes.PACK_PUBLISHED, EventTypes.PACK_DEPRECATED,
                EventTypes.PACK_REVOKED)), documentedTypes);
        Set<String> documentedTopics = new TreeSet<>();
        asyncApi.path("channels").forEach(channel -> documentedTopics.add(channel.path("address").asText()));
        Set<String> codeTopics = new TreeSet<>();
        Topics.all().stream().map(Topics.TopicSpec::name)
                .filter(name -> !name.endsWith(Topics.DLQ_SUFFIX))
                .forEach(codeTopics::add);
        assertEquals(codeTopics, documentedTopics);
    }

    @Test
    void eventIdsAreStablePerBuildAndStage() {
        assertEquals(EventIds.forStage("b1", EventTypes.BUILD_COMPLETED), EventIds.forStage("b1", EventTypes.BUILD_COMPLETED));
        assertFalse(EventIds.forStage("b1", EventTypes.BUILD_COMPLETED).equals(EventIds.forStage("b1", EventTypes.BUILD_FAILED)));
    }

    private static com.networknt.schema.JsonSchema schema(String definition) throws IOException {
        ObjectNode document;
        try (InputStream in = ContractTest.class.getResourceAsStream("/byoos/contract/events.schema.json")) {
            document = (ObjectNode) JSON.readTree(in);
        }
        document.put("$ref", "#/$defs/" + definition);
        return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(document);
    }
}
