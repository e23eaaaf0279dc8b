package dev.byoos.spec.service;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildRequested;
import dev.byoos.spec.model.ImageSpec;
import dev.byoos.spec.repository.BuildEntity;
import dev.byoos.spec.repository.SpecEntity;

/**
 * The one mapping from a stored spec version and one of its builds to the contract's events. The
 * spec already holds the contract's records for the base, the Kubernetes components and the
 * customizations; what is mapped here is the choice of target and the build's coordinates.
 */
final class BuildRequests {

    private BuildRequests() {
    }

    /** The request for {@code build}: the spec's target for the build's cloud, with everything a worker needs. */
    static BuildRequested of(ImageSpec spec, SpecEntity specEntity, BuildEntity build) {
        ImageSpec.Customizations customizations = spec.spec().customizations();
        ImageSpec.Target target = target(spec, build);
        return new BuildRequested(coordinates(spec, specEntity, build), baseImage(spec.spec().os().base()),
                customizations.files(), spec.spec().imageType(), customizations.packages(), customizations.users(),
                customizations.sysctl(), customizations.kernelModules(), customizations.caCertificates(),
                customizations.scripts(), target.builder(), cloudParameters(target), spec.spec().kubernetes(),
                build.trigger);
    }

    /** One target per cloud (the validator makes sure), so the build's cloud names its target. */
    static ImageSpec.Target target(ImageSpec spec, BuildEntity build) {
        return spec.spec().targets().stream()
                .filter(candidate -> candidate.cloud().equals(build.targetCloud))
                .findFirst().orElseThrow();
    }

    static BuildCoordinates coordinates(ImageSpec spec, SpecEntity specEntity, BuildEntity build) {
        ImageSpec.Pack pack = spec.spec().pack();
        // With several targets each publishes its own pack, so the pack names differ by cloud.
        String packName = spec.spec().targets().size() == 1 ? pack.name() : pack.name() + "-" + build.targetCloud;
        return new BuildCoordinates(
                build.id.toString(),
                specEntity.team,
                specEntity.name,
                specEntity.version,
                specEntity.digest,
                new BuildCoordinates.OperatingSystem(spec.spec().os().name(), spec.spec().os().version()),
                spec.spec().kubernetes().version(),
                new BuildCoordinates.Target(build.targetCloud, build.targetFormat),
                new BuildCoordinates.Pack(packName, pack.version(), pack.displayName()));
    }

    /** What a builder that builds inside the cloud needs to know of the target's cloud parameters. */
    private static BuildRequested.CloudParameters cloudParameters(ImageSpec.Target target) {
        return new BuildRequested.CloudParameters(
                target.aws() == null ? null : target.aws().regions(),
                target.azure() == null ? null : target.azure().storageLocation(),
                target.vsphere() == null ? null : target.vsphere().folder(),
                target.vsphere() == null ? null : target.vsphere().templateName());
    }

    /** Only buildable base kinds reach here (the validator refuses the others). */
    private static BuildRequested.BaseImage baseImage(ImageSpec.Base base) {
        return switch (base.kind()) {
            case "local" -> new BuildRequested.BaseImage(base.local());
            case "debootstrap" -> new BuildRequested.BaseImage(null, base.debootstrap());
            case "tarball" -> BuildRequested.BaseImage.of(base.tarball());
            default -> throw new IllegalStateException(base.kind() + " bases are not buildable; the validator refuses them");
        };
    }
}
