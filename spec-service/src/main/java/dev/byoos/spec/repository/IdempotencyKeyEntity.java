package dev.byoos.spec.repository;

import java.io.Serializable;
import java.time.OffsetDateTime;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;

/** The outcome of a submission made with an Idempotency-Key header, per team: keys are the team's own. */
@Entity
@Table(name = "idempotency_key")
@IdClass(IdempotencyKeyEntity.Key.class)
public class IdempotencyKeyEntity extends PanacheEntityBase {

    /** The identity of a key: the team of the spec submitted under it, and the key. */
    public record Key(String team, String key) implements Serializable {
    }

    @Id
    public String team;
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
