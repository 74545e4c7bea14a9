import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { StorageModuleOptions } from './contract/options.js';
import { STORAGE_MODULE_OPTIONS } from './storage.constants.js';

export const { ConfigurableModuleClass: ConfigurableStorageModule } =
  new ConfigurableModuleBuilder<StorageModuleOptions>({ optionsInjectionToken: STORAGE_MODULE_OPTIONS })
    .setClassMethodName('forRoot')
    .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();
