/** `liquid-nano:plugin/types`: types only, nothing to provide. */
import type { ImportBuilder } from '../capability.js';

export const imports: ImportBuilder = () => ({ 'liquid-nano:plugin/types': {} });
