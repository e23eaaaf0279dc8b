package dev.byoos.contract;

import static dev.byoos.contract.Require.notBlank;
import static dev.byoos.contract.Require.notNull;

/**
 * What a build is about, carried unchanged in every event of that build so that each stage can
 * do its work from the event alone (no stage reads another stage's database).
 *
 * @param buildId    the Kafka key of every event of this build
 * @param team       owning team (tenant)
 * @param specName   the image spec's metadata.name
 * @param specVersion the immutable spec version the build belongs to
 * @param specDigest sha256 of the canonical spec document
 * @param os         distribution name and version, as Palette's osName/osVersion
 * @param kubernetesVersion the Kubernetes version baked into the image
 * @param target     where and in which format the image is built
 * @param pack       the BYOOS pack to publish for this target
 */
public record BuildCoordinates(
        String buildId,
        String team,
        String specName,
        int specVersion,
        String specDigest,
        OperatingSystem os,
        String kubernetesVersion,
        Target target,
        Pack pack) {

    public BuildCoordinates {
        notBlank(buildId, "buildId");
        notBlank(team, "team");
        notBlank(specName, "specName");
        notBlank(specDigest, "specDigest");
        notNull(os, "os");
        notBlank(kubernetesVersion, "kubernetesVersion");
        notNull(target, "target");
        notNull(pack, "pack");
    }

    public record OperatingSystem(String name, String version) {
        public OperatingSystem {
            notBlank(name, "os.name");
            notBlank(version, "os.version");
        }
    }

    /** @param cloud e.g. {@code qemu}; @param format disk format, e.g. {@code qcow2}, {@code raw} */
    public record Target(String cloud, String format) {
        public Target {
            notBlank(cloud, "target.cloud");
            notBlank(format, "target.format");
        }
    }

    public record Pack(String name, String version, String displayName) {
        public Pack {
            notBlank(name, "pack.name");
            notBlank(version, "pack.version");
            notBlank(displayName, "pack.displayName");
        }
    }
}
