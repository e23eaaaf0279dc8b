package dev.byoos.spec.service;

import java.util.function.UnaryOperator;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.NotFoundException;

import io.opentelemetry.instrumentation.annotations.SpanAttribute;
import io.opentelemetry.instrumentation.annotations.WithSpan;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

import dev.byoos.contract.BuildRequested.Kubernetes;
import dev.byoos.spec.BuildTrigger;
import dev.byoos.spec.model.ImageSpec;
import dev.byoos.spec.repository.SpecEntity;

/**
 * A rebuild the factory starts itself (a schedule, a changed input): the latest version of a
 * spec becomes the next version with its pack version bumped per {@code pack.versionPolicy}, and
 * every target is built (forced: an unchanged image under a new pack version is the point). The
 * new version goes through {@link SpecIntake} like a submission, so the pack rules hold.
 */
@ApplicationScoped
public class NextPackVersionRebuilds {

    private final SpecIntake intake;

    public NextPackVersionRebuilds(SpecIntake intake) {
        this.intake = intake;
    }

    /**
     * @throws NotFoundException         when the team has no such spec
     * @throws NoVersionPolicyException  when its latest version states no policy
     */
    @WithSpan("spec.rebuild-next-pack-version")
    public Uni<SpecIntake.Accepted> rebuild(@SpanAttribute("byoos.team") String team,
            @SpanAttribute("byoos.spec") String name, BuildTrigger trigger) {
        return rebuild(team, name, trigger, UnaryOperator.identity());
    }

    /**
     * The same, with the Kubernetes components of the next version given by {@code kubernetes}
     * from those of the latest (a new patch release).
     */
    @WithSpan("spec.rebuild-next-pack-version")
    public Uni<SpecIntake.Accepted> rebuild(@SpanAttribute("byoos.team") String team,
            @SpanAttribute("byoos.spec") String name, BuildTrigger trigger, UnaryOperator<Kubernetes> kubernetes) {
        return Panache.withSession(() -> SpecEntity.latest(team, name))
                .onItem().ifNull().failWith(() -> new NotFoundException("team " + team + " has no spec " + name))
                .flatMap(latest -> intake.accept(nextVersion(CanonicalSpecs.read(latest), kubernetes), true, trigger));
    }

    /** Fails at once, before anything is stored, when the spec cannot be rebuilt this way. */
    static ImageSpec nextVersion(ImageSpec spec, UnaryOperator<Kubernetes> kubernetes) {
        ImageSpec.Pack pack = spec.spec().pack();
        if (pack.versionPolicy() == null) {
            throw new NoVersionPolicyException(spec.metadata().team(), spec.metadata().name());
        }
        ImageSpec.Spec body = spec.spec();
        ImageSpec.Spec next = new ImageSpec.Spec(body.os(), kubernetes.apply(body.kubernetes()), body.imageType(),
                body.targets(),
                body.customizations(), pack.withVersion(PackVersionPolicy.next(pack.version(), pack.versionPolicy())),
                body.updates());
        return new ImageSpec(spec.apiVersion(), spec.kind(), spec.metadata(), next);
    }
}
