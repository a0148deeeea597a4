/**
 * The origin SAS links into Azure Blob storage point at, read from the storage connection string
 * (`BlobEndpoint=`, or the account name and endpoint suffix), or null when none is configured or
 * it does not parse. Pages may load images and media from there, and nowhere else off-site.
 */
export function blobOrigin(connectionString: string | undefined): string | null {
  if (!connectionString) return null;
  const parts = new Map<string, string>();
  for (const pair of connectionString.split(';')) {
    const at = pair.indexOf('=');
    if (at > 0) parts.set(pair.slice(0, at).trim().toLowerCase(), pair.slice(at + 1).trim());
  }
  try {
    const endpoint = parts.get('blobendpoint');
    if (endpoint) return new URL(endpoint).origin;
    if (parts.get('usedevelopmentstorage') === 'true') return 'http://127.0.0.1:10000';
    const account = parts.get('accountname');
    if (!account) return null;
    const protocol = parts.get('defaultendpointsprotocol') ?? 'https';
    const suffix = parts.get('endpointsuffix') ?? 'core.windows.net';
    return new URL(`${protocol}://${account}.blob.${suffix}`).origin;
  } catch {
    return null;
  }
}
