package dev.byoos.spec.service;

import java.util.ArrayList;
import java.util.List;

import dev.byoos.spec.model.ImageSpec;
import dev.byoos.spec.repository.SpecEntity;
import dev.byoos.spec.validation.SpecRejectedException;
import dev.byoos.spec.validation.Violation;

/**
 * A pack is one product line in the registry: a new version of a spec keeps the pack's name and
 * display name, and must not reuse a pack version an earlier version published, because published
 * pack versions are immutable and the new image would be refused at publish time. The one rule of
 * a spec that needs the stored versions, so it is checked when a version is stored.
 */
final class PackHistory {

    private PackHistory() {
    }

    /**
     * @param latest           the latest stored version of the spec, or null for a new spec
     * @param packVersionOwner the stored version that already has this pack version, or null
     * @throws SpecRejectedException with a {@code PACK_CONFLICT} per broken rule
     */
    static void check(SpecEntity latest, SpecEntity packVersionOwner, ImageSpec spec) {
        if (latest == null) {
            return;
        }
        ImageSpec.Pack previous = CanonicalSpecs.read(latest).spec().pack();
        ImageSpec.Pack next = spec.spec().pack();
        List<Violation> violations = new ArrayList<>();
        String since = " (version " + latest.version + " of spec " + latest.name + ")";
        if (!previous.name().equals(next.name())) {
            violations.add(new Violation("/spec/pack/name", Violation.PACK_CONFLICT, "the pack is named '"
                    + previous.name() + "'" + since + "; a pack keeps its name across versions, use a new spec name "
                    + "for a new pack"));
        }
        if (!previous.displayName().equals(next.displayName())) {
            violations.add(new Violation("/spec/pack/displayName", Violation.PACK_CONFLICT, "the pack is displayed as '"
                    + previous.displayName() + "'" + since + "; a pack keeps its display name across versions"));
        }
        if (packVersionOwner != null) {
            violations.add(new Violation("/spec/pack/version", Violation.PACK_CONFLICT, "pack version "
                    + next.version() + " belongs to version " + packVersionOwner.version + " of spec "
                    + packVersionOwner.name
                    + "; published pack versions are immutable, so a changed spec needs a new pack version"));
        }
        if (!violations.isEmpty()) {
            throw new SpecRejectedException(violations);
        }
    }
}
