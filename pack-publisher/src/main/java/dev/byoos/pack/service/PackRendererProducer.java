package dev.byoos.pack.service;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import dev.byoos.pack.config.PublisherConfig;
import dev.byoos.pack.render.PackRenderer;
import dev.byoos.pack.render.TargetSettings;

/** The one pack renderer, with the installation's per-target settings. */
public class PackRendererProducer {

    @Produces
    @Singleton
    PackRenderer packRenderer(PublisherConfig config) {
        PublisherConfig.Targets targets = config.targets();
        return new PackRenderer(new TargetSettings(targets.azureVhdBaseUrl(), targets.gcpProject(),
                targets.vsphereTemplateFolder()));
    }
}
