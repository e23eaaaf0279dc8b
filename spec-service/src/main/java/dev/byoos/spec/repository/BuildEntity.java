package dev.byoos.spec.repository;

import java.time.OffsetDateTime;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;

import org.hibernate.annotations.DynamicUpdate;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;

import dev.byoos.spec.BuildState;
import dev.byoos.spec.PipelineStage;

/**
 * The read model of one build (one target of one spec version) across every stage. Updates write
 * only the columns they change: progress reports update their own columns in place
 * ({@link dev.byoos.spec.service.BuildReadModel#recordProgress}) and must not be overwritten by a
 * state change that loaded the row before.
 */
@Entity
@Table(name = "build")
@DynamicUpdate
public class BuildEntity extends PanacheEntityBase {

    @Id
    public UUID id;
    @ManyToOne(fetch = FetchType.LAZY, optional = false)
    @JoinColumn(name = "spec_id")
    public SpecEntity spec;
    public String team;
    @Column(name = "target_cloud")
    public String targetCloud;
    @Column(name = "target_format")
    public String targetFormat;
    /** Why the build exists: a {@link dev.byoos.spec.BuildTrigger}'s wire value. */
    @Column(name = "build_trigger")
    public String trigger;
    /** 1 for the first build of a target; a resubmitted identical spec retries a failed target as attempt n+1. */
    public int attempt;
    @Enumerated(EnumType.STRING)
    public BuildState state;
    @Column(name = "artifact_uri")
    public String artifactUri;
    @Column(name = "artifact_sha256")
    public String artifactSha256;
    @Column(name = "artifact_size")
    public Long artifactSize;
    @Column(name = "pack_reference")
    public String packReference;
    @Column(name = "failure_stage")
    public String failureStage;
    @Column(name = "failure_code")
    public String failureCode;
    @Column(name = "failure_reason")
    public String failureReason;
    /** The boot smoke test's result ({@code passed}, {@code skipped}); null before the build is built. */
    @Column(name = "boot_test_result")
    public String bootTestResult;
    @Column(name = "boot_test_detail")
    public String bootTestDetail;
    @Column(name = "boot_test_millis")
    public Long bootTestMillis;
    /** {@code spec}, {@code infrastructure} or {@code builder}; null when the failing stage did not say. */
    @Column(name = "failure_category")
    public String failureCategory;
    /** How often the failing stage tried; null when it did not say. */
    @Column(name = "failure_attempts")
    public Integer failureAttempts;
    /** The latest progress report of the stage working on the build (all progress fields are null without one). */
    @Column(name = "progress_stage")
    public String progressStage;
    @Column(name = "progress_phase")
    public String progressPhase;
    @Column(name = "progress_percent")
    public Short progressPercent;
    /** Set while the stage waits for a dependency (s3, registry) to come back. */
    @Column(name = "progress_waiting_for")
    public String progressWaitingFor;
    @Column(name = "progress_detail")
    public String progressDetail;
    /** When the stage reported (the event's time). */
    @Column(name = "progress_at")
    public OffsetDateTime progressAt;
    /** For REUSED builds: the published build whose artifact and pack this build points at. */
    @Column(name = "reused_from")
    public UUID reusedFrom;
    @Column(name = "cancelled_by")
    public String cancelledBy;
    @Column(name = "created_at")
    public OffsetDateTime createdAt;
    @Column(name = "updated_at")
    public OffsetDateTime updatedAt;

    /** Drops a progress report the build's state has made stale: its stage is done, or the build finished. */
    public void forgetProgressOfPastStages() {
        boolean current = progressStage != null
                && PipelineStage.of(progressStage).map(stage -> stage.isCurrentFor(state)).orElse(false);
        if (!current) {
            progressStage = null;
            progressPhase = null;
            progressPercent = null;
            progressWaitingFor = null;
            progressDetail = null;
            progressAt = null;
        }
    }
}
