package dev.byoos.spec.repository;

import java.time.OffsetDateTime;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;

/** The outcome of a submission made with an Idempotency-Key header. */
@Entity
@Table(name = "idempotency_key")
public class IdempotencyKeyEntity extends PanacheEntityBase {

    @Id
    public String key;
    @Column(name = "spec_id")
    public UUID specId;
    /** Digest of the spec the key was first used with: a different spec under the same key is refused. */
    @Column(name = "spec_digest")
    public String specDigest;
    @Column(name = "new_version")
    public boolean newVersion;
    @Column(name = "created_at")
    public OffsetDateTime createdAt;
}
