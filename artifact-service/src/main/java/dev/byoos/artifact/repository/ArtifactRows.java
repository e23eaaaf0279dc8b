package dev.byoos.artifact.repository;

import java.util.Arrays;
import java.util.UUID;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * The artifact row as a completed build writes and re-reads it: plain SQL on the reactive pool, one
 * statement each. Every build passes here, and an entity session with its lookup and flush costs
 * several times the CPU of the statement it ends up sending. Readers that are not per build (the API,
 * retention) keep {@link ArtifactEntity}.
 */
public final class ArtifactRows {

    private static final String INSERT = "insert into artifact (id, build_id, team, spec_name, spec_version, "
            + "spec_digest, os_name, os_version, kubernetes_version, target_cloud, target_format, format, sha256, "
            + "size_bytes, bucket, object_key, staged_key, sbom_key, sbom_sha256, sbom_size, sbom_format, log_key, "
            + "log_sha256, log_size, attestation_key, attestation_sha256, attestation_size, builder, builder_version, "
            + "build_started_at, build_finished_at, inputs, cloud_images, oci_image_reference, oci_image_digest, "
            + "signature_format, signature_key_id, signature_value, created_at) values ($1, $2, $3, $4, $5, $6, $7, "
            + "$8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, "
            + "$28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38, $39)";
    /** What an announcement of the artifact needs (ArtifactIntake), nothing more. */
    private static final String BY_BUILD = "select bucket, object_key, sha256, size_bytes, format, sbom_key, "
            + "sbom_sha256, sbom_size, log_key, log_sha256, log_size, attestation_key, attestation_sha256, "
            + "attestation_size, cloud_images, oci_image_reference, oci_image_digest, signature_format, "
            + "signature_key_id, signature_value from artifact where build_id = $1";

    private static final JsonLists.Inputs INPUTS = new JsonLists.Inputs();
    private static final JsonLists.CloudImages CLOUD_IMAGES = new JsonLists.CloudImages();

    private ArtifactRows() {
    }

    /** Inserts the artifact's row; a second row of the same build fails on {@code artifact_build_unique}. */
    public static Uni<Void> insert(SqlClient client, ArtifactEntity artifact) {
        return client.preparedQuery(INSERT).execute(Tuple.from(Arrays.asList(artifact.id, artifact.buildId,
                        artifact.team, artifact.specName, artifact.specVersion, artifact.specDigest, artifact.osName,
                        artifact.osVersion, artifact.kubernetesVersion, artifact.targetCloud, artifact.targetFormat,
                        artifact.format, artifact.sha256, artifact.size, artifact.bucket, artifact.objectKey,
                        artifact.stagedKey, artifact.sbomKey, artifact.sbomSha256, artifact.sbomSize,
                        artifact.sbomFormat, artifact.logKey, artifact.logSha256, artifact.logSize,
                        artifact.attestationKey, artifact.attestationSha256, artifact.attestationSize,
                        artifact.builder, artifact.builderVersion, artifact.buildStartedAt, artifact.buildFinishedAt,
                        INPUTS.convertToDatabaseColumn(artifact.inputs),
                        CLOUD_IMAGES.convertToDatabaseColumn(artifact.cloudImages), artifact.ociImageReference,
                        artifact.ociImageDigest, artifact.signatureFormat, artifact.signatureKeyId,
                        artifact.signatureValue, artifact.createdAt)))
                .replaceWithVoid();
    }

    /**
     * @return the build's artifact with the columns an announcement needs (a detached entity, never
     *         persisted), or null when the build has none
     */
    public static Uni<ArtifactEntity> findByBuild(SqlClient client, UUID buildId) {
        return client.preparedQuery(BY_BUILD).execute(Tuple.of(buildId)).map(ArtifactRows::announced);
    }

    private static ArtifactEntity announced(RowSet<Row> rows) {
        if (!rows.iterator().hasNext()) {
            return null;
        }
        Row row = rows.iterator().next();
        ArtifactEntity artifact = new ArtifactEntity();
        artifact.bucket = row.getString("bucket");
        artifact.objectKey = row.getString("object_key");
        artifact.sha256 = row.getString("sha256");
        artifact.size = row.getLong("size_bytes");
        artifact.format = row.getString("format");
        artifact.sbomKey = row.getString("sbom_key");
        artifact.sbomSha256 = row.getString("sbom_sha256");
        artifact.sbomSize = row.getLong("sbom_size");
        artifact.logKey = row.getString("log_key");
        artifact.logSha256 = row.getString("log_sha256");
        artifact.logSize = row.getLong("log_size");
        artifact.attestationKey = row.getString("attestation_key");
        artifact.attestationSha256 = row.getString("attestation_sha256");
        artifact.attestationSize = row.getLong("attestation_size");
        artifact.cloudImages = CLOUD_IMAGES.convertToEntityAttribute(row.getString("cloud_images"));
        artifact.ociImageReference = row.getString("oci_image_reference");
        artifact.ociImageDigest = row.getString("oci_image_digest");
        artifact.signatureFormat = row.getString("signature_format");
        artifact.signatureKeyId = row.getString("signature_key_id");
        artifact.signatureValue = row.getString("signature_value");
        return artifact;
    }
}
