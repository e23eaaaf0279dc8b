package dev.byoos.artifact.repository;

import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * The columns of an artifact row that retention reads: never its JSON lists, so one row whose
 * lists cannot be read (hand-edited, or damaged) does not fail a retention run over every team's
 * artifacts; that row is kept or deleted like any other.
 */
public record ArtifactSummary(UUID id, UUID buildId, String team, String specName, int specVersion,
        String targetCloud, String targetFormat, String sha256, long size, OffsetDateTime createdAt, String objectKey,
        String sbomKey, String logKey) {

    /** HQL selecting summaries of {@link ArtifactEntity} {@code a}; a where clause follows. */
    public static final String SELECT = "select new " + ArtifactSummary.class.getName()
            + "(a.id, a.buildId, a.team, a.specName, a.specVersion, a.targetCloud, a.targetFormat, a.sha256, a.size,"
            + " a.createdAt, a.objectKey, a.sbomKey, a.logKey) from ArtifactEntity a ";
}
