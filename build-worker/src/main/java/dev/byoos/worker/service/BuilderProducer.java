package dev.byoos.worker.service;

import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import javax.net.ssl.SSLContext;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.minio.MinioClient;
import io.quarkus.tls.TlsConfiguration;
import io.quarkus.tls.TlsConfigurationRegistry;

import dev.byoos.contract.AptSources;
import dev.byoos.storage.S3Settings;
import dev.byoos.worker.builder.NativeBuilder;
import dev.byoos.worker.builder.base.DebootstrapBases;
import dev.byoos.worker.builder.base.DownloadTrust;
import dev.byoos.worker.builder.base.SuiteReleases;
import dev.byoos.worker.builder.base.TarballBases;
import dev.byoos.worker.builder.base.TarballDownloader;
import dev.byoos.worker.builder.cache.ImageCache;
import dev.byoos.worker.builder.cache.TreeCache;
import dev.byoos.worker.builder.core.PackageNetwork;
import dev.byoos.worker.builder.disk.BootSmokeTest;
import dev.byoos.worker.builder.imagebuilder.ImageBuilderExecutor;
import dev.byoos.worker.builder.kubernetes.KubernetesComponentSource;
import dev.byoos.worker.builder.kubernetes.KubernetesMirror;
import dev.byoos.worker.builder.sandbox.Sandbox;
import dev.byoos.worker.builder.sandbox.SandboxLimits;
import dev.byoos.worker.config.WorkerConfig;
import dev.byoos.worker.registry.OciImagePusher;

/**
 * The builders' stages, each set up once from {@code byoos.worker.*}: the builder packages are plain
 * Java (the tests build them by hand), and this is the one place the running worker wires them.
 */
@ApplicationScoped
public class BuilderProducer {

    /**
     * The TLS configuration tarball downloads trust on top of the Java runtime's CAs
     * ({@code quarkus.tls.byoos-downloads.trust-store.pem.certs}); without it, the runtime's only.
     */
    static final String DOWNLOADS_TLS_CONFIGURATION = "byoos-downloads";

    @Produces
    @Singleton
    DebootstrapBases debootstrapBases(WorkerConfig config, PackageNetwork network) {
        WorkerConfig.Downloads downloads = config.downloads();
        // The Release file comes from the same mirror as the packages: the same proxy, the same CAs.
        Optional<SSLContext> tls = network.hasCaCertificates()
                ? Optional.of(DownloadTrust.trustingAlso(network.trustStore()))
                : Optional.empty();
        return new DebootstrapBases(config.baseCacheDir(), AptSources.expand(config.allowedMirrorHosts()),
                new SuiteReleases(new SuiteReleases.Settings(tls, network.proxy().map(proxy -> network.proxySelector()),
                        SuiteReleases.DEFAULT_MAX_BYTES, downloads.connectTimeout(), downloads.readTimeout())),
                network, config.packages().mirrors());
    }

    /** {@code byoos.worker.packages.*}: refused at startup when the proxy or a CA file is not usable. */
    @Produces
    @Singleton
    PackageNetwork packageNetwork(WorkerConfig config) {
        WorkerConfig.Packages packages = config.packages();
        return PackageNetwork.of(packages.proxy(), packages.noProxy().orElse(List.of()),
                packages.caCertificates().orElse(List.of()));
    }

    @Produces
    @Singleton
    TarballBases tarballBases(WorkerConfig config, TlsConfigurationRegistry tls) {
        WorkerConfig.Downloads downloads = config.downloads();
        return new TarballBases(config.baseCacheDir(), AptSources.expand(config.allowedMirrorHosts()),
                new TarballDownloader.Settings(downloadTls(tls), downloads.maxBytes(), downloads.connectTimeout(),
                        downloads.readTimeout()),
                new TarballBases.Limits(downloads.maxUnpackedBytes(), downloads.maxEntries()));
    }

    /** The runtime's CAs and those of {@value #DOWNLOADS_TLS_CONFIGURATION}, when it names any. */
    static Optional<SSLContext> downloadTls(TlsConfigurationRegistry tls) {
        return tls.get(DOWNLOADS_TLS_CONFIGURATION).map(TlsConfiguration::getTrustStore)
                .map(DownloadTrust::trustingAlso);
    }

    @Produces
    @Singleton
    BootSmokeTest bootSmokeTest(WorkerConfig config) {
        return new BootSmokeTest(new BootSmokeTest.Settings(config.bootTest().enabled(), config.bootTest().timeout()));
    }

    @Produces
    @Singleton
    ImageCache imageCache(WorkerConfig config) {
        return new ImageCache(config.imageCache().dir(), config.imageCache().maxBytes());
    }

    @Produces
    @Singleton
    TreeCache treeCache(WorkerConfig config) {
        return new TreeCache(config.treeCache().dir(), config.treeCache().maxBytes());
    }

    /** An {@code s3://} mirror is read with the worker's own S3 client and endpoint ({@code byoos.s3.*}). */
    @Produces
    @Singleton
    KubernetesComponentSource kubernetesComponents(WorkerConfig config, MinioClient s3, S3Settings s3Settings) {
        WorkerConfig.KubernetesComponents components = config.kubernetesComponents();
        return KubernetesComponentSource.of(components.mirror(), new KubernetesMirror.S3Access(s3,
                s3Settings.endpoint()), components.arch(), components.cacheDir(), components.checksumsFile());
    }

    /** @param builderVersion the worker's version: in the SBOM, and part of every cache key */
    @Produces
    @Singleton
    NativeBuilder nativeBuilder(WorkerConfig config, DebootstrapBases debootstrap, TarballBases tarballs,
            BootSmokeTest bootTest, ImageCache images, TreeCache trees, KubernetesComponentSource kubernetes,
            PackageNetwork network, @ConfigProperty(name = "quarkus.application.version") String builderVersion) {
        return new NativeBuilder(NativeBuilder.Settings.localBasesOnly(config.basesDir().toAbsolutePath().normalize())
                .withRemoteBases(debootstrap, tarballs).withBootTest(bootTest).withCaches(images, trees)
                .withKubernetesComponents(kubernetes).withBuilderVersion(builderVersion).withSandbox(sandbox(config, network)));
    }

    @Produces
    @Singleton
    ImageBuilderExecutor imageBuilder(WorkerConfig config) {
        WorkerConfig.ImageBuilder imageBuilder = config.imageBuilder();
        return new ImageBuilderExecutor(new ImageBuilderExecutor.Settings(imageBuilder.dir(), imageBuilder.command(),
                imageBuilder.timeout()));
    }

    /** Where Edge images go; empty where no registry is configured ({@code byoos.worker.registry.url}). */
    @Produces
    @Singleton
    Optional<OciImagePusher> ociImagePusher(WorkerConfig config) {
        WorkerConfig.Registry registry = config.registry();
        return registry.url().map(url -> new OciImagePusher(new OciImagePusher.Settings(URI.create(url),
                registry.basePath(), registry.username(), registry.password(), registry.caCertificate())));
    }

    private static Sandbox sandbox(WorkerConfig config, PackageNetwork network) {
        WorkerConfig.Sandbox limits = config.sandbox();
        return new Sandbox(new Sandbox.Settings(new SandboxLimits(limits.memoryBytes(), limits.processes(),
                limits.cpuTime(), limits.fileBytes(), limits.outputBytes(), limits.treeBytes(), limits.treeFiles()),
                Set.copyOf(AptSources.expand(config.allowedMirrorHosts())), network));
    }
}
