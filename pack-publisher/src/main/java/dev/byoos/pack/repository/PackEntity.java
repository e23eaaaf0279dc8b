package dev.byoos.pack.repository;

import java.time.OffsetDateTime;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;

/** A pack name: one repository in the registry, owned by the team that first published it. */
@Entity
@Table(name = "pack")
public class PackEntity extends PanacheEntityBase {

    @Id
    public UUID id;
    public String name;
    @Column(name = "display_name")
    public String displayName;
    public String team;
    @Column(name = "created_at")
    public OffsetDateTime createdAt;

    public static Uni<PackEntity> findByName(String name) {
        return find("name", name).firstResult();
    }
}
