package dev.byoos.spec.repository;

import java.time.OffsetDateTime;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;

/** One immutable version of an image spec. */
@Entity
@Table(name = "image_spec")
public class SpecEntity extends PanacheEntityBase {

    @Id
    public UUID id;
    public String team;
    public String name;
    public int version;
    public String digest;
    /** The accepted spec with defaults applied, as canonical JSON. */
    public String document;
    /** spec.pack.version, kept as a column to find which spec version owns a pack version. */
    @Column(name = "pack_version")
    public String packVersion;
    @Column(name = "created_at")
    public OffsetDateTime createdAt;

    /** @return the latest version of this spec, or null when the spec is new */
    public static Uni<SpecEntity> latest(String team, String name) {
        return find("team = ?1 and name = ?2 order by version desc", team, name).firstResult();
    }
}
