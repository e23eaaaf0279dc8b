package dev.byoos.artifact.signing;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCoordinates;

/**
 * Each artifact's provenance as a signed in-toto statement: the SLSA provenance v1 predicate
 * (builder id, build type, the spec as external parameters, the base and every input with its
 * digest as resolved dependencies) in a DSSE envelope signed with the artifact signing key, so
 * that {@code cosign verify-blob-attestation --key}, or any DSSE verifier, checks it offline.
 */
@ApplicationScoped
public class ProvenanceAttestations {

    public static final String PAYLOAD_TYPE = "application/vnd.in-toto+json";
    public static final String STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
    public static final String PREDICATE_TYPE = "https://slsa.dev/provenance/v1";
    /** What a build's external parameters mean: a BYOOS image spec built for one target. */
    public static final String BUILD_TYPE = "https://byoos.dev/provenance/image-build/v1";
    /** The builder's id: the worker's builder ({@code native/...}, {@code image-builder/...}) below this. */
    public static final String BUILDER_ID_PREFIX = "https://byoos.dev/build-worker/";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ArtifactSigner signer;

    public ProvenanceAttestations(ArtifactSigner signer) {
        this.signer = signer;
    }

    /** A signed envelope and where it is stored: beside the build's artifact, named by its own digest. */
    public record Attestation(String key, byte[] envelope, String sha256) {
    }

    /**
     * @param event          a build.completed checked against the build's record (its coordinates are the request's)
     * @param subjectName    the artifact's name in the artifacts bucket
     * @param subjectSha256  the verified artifact's digest
     */
    public Attestation attest(BuildCompleted event, String subjectName, String subjectSha256) {
        byte[] statement = bytes(statement(event, subjectName, subjectSha256));
        ObjectNode envelope = JSON.createObjectNode();
        envelope.put("payloadType", PAYLOAD_TYPE);
        envelope.put("payload", Base64.getEncoder().encodeToString(statement));
        envelope.putArray("signatures").addObject()
                .put("keyid", signer.keyId())
                .put("sig", signer.signMessage(pae(PAYLOAD_TYPE, statement)));
        byte[] bytes = bytes(envelope);
        String sha256 = sha256(bytes);
        return new Attestation("provenance/" + event.build().buildId() + "/" + sha256 + ".intoto.json", bytes, sha256);
    }

    /** DSSE's pre-authentication encoding: what the signature covers, the payload type included. */
    public static byte[] pae(String payloadType, byte[] payload) {
        byte[] type = payloadType.getBytes(StandardCharsets.UTF_8);
        byte[] head = ("DSSEv1 " + type.length + " " + payloadType + " " + payload.length + " ")
                .getBytes(StandardCharsets.UTF_8);
        byte[] pae = new byte[head.length + payload.length];
        System.arraycopy(head, 0, pae, 0, head.length);
        System.arraycopy(payload, 0, pae, head.length, payload.length);
        return pae;
    }

    private static ObjectNode statement(BuildCompleted event, String subjectName, String subjectSha256) {
        BuildCoordinates build = event.build();
        ObjectNode statement = JSON.createObjectNode();
        statement.put("_type", STATEMENT_TYPE);
        statement.putArray("subject").addObject().put("name", subjectName)
                .putObject("digest").put("sha256", subjectSha256);
        statement.put("predicateType", PREDICATE_TYPE);
        ObjectNode predicate = statement.putObject("predicate");
        ObjectNode definition = predicate.putObject("buildDefinition");
        definition.put("buildType", BUILD_TYPE);
        ObjectNode external = definition.putObject("externalParameters");
        ObjectNode spec = external.putObject("spec");
        spec.put("team", build.team()).put("name", build.specName()).put("version", build.specVersion());
        spec.putObject("digest").put("sha256", build.specDigest());
        external.putObject("target").put("cloud", build.target().cloud()).put("format", build.target().format());
        external.putObject("pack").put("name", build.pack().name()).put("version", build.pack().version());
        ArrayNode dependencies = definition.putArray("resolvedDependencies");
        if (event.provenance() != null) {
            for (BuildCompleted.Input input : event.provenance().inputs()) {
                ObjectNode dependency = dependencies.addObject().put("name", input.name());
                if (input.uri() != null) {
                    dependency.put("uri", input.uri());
                }
                dependency.putObject("digest").put("sha256", input.sha256());
            }
        }
        ObjectNode run = predicate.putObject("runDetails");
        ObjectNode builder = run.putObject("builder").put("id", BUILDER_ID_PREFIX + event.builder());
        ObjectNode metadata = run.putObject("metadata").put("invocationId", build.buildId());
        if (event.provenance() != null) {
            builder.putObject("version").put("build-worker", event.provenance().builderVersion());
            metadata.put("startedOn", event.provenance().startedAt()).put("finishedOn", event.provenance().finishedAt());
        }
        return statement;
    }

    private static byte[] bytes(ObjectNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
