// The package format's public surface; re-exported from @symphony/sdk's index.
export { generateKeyPair, keyIdOf, keyPairFromPem, publicKeyObject, readKeyPair, signText, verifyText, writeKeyPair, type PublicKeyFile, type PublisherKeyPair } from './keys.js';
export { FILES_PATH, PACKAGE_FORMAT, SIGNATURE_PATH, integrityOf, sha256Hex, signingText, tarballName, type FilesDocument, type PackFile, type PackSignature } from './format.js';
export { MANIFEST_FILES, findManifestFile, parseManifestText, type PackageManifest } from './manifest-file.js';
export { packExtension, type PackOptions, type PackResult } from './pack.js';
export type { NpmSymphonyField } from './package-json.js';
export { isCanonicalPackagePath, readPackage, writePackageFiles, type ReadPackageOptions, type VerifiedPackage } from './verify.js';
export { summarizePermissions } from './permissions.js';
export { publishPackage, registryRequestText, sendRegistryRequest, signRegistryRequest, type PublishReceipt, type RegistryAction, type SignedRegistryRequest } from './publish.js';
