import bcrypt from 'bcrypt';

/**
 * Password hashing with bcrypt. Inputs are already limited to 72 bytes by the schemas, so bcrypt
 * never truncates one silently.
 */
export class PasswordHasher {
  /** A hash to compare against when the login names nobody, so that timing does not tell. */
  private readonly decoy: Promise<string>;

  constructor(private readonly cost: number) {
    this.decoy = bcrypt.hash('decoy password of no account', cost);
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.cost);
  }

  /** Compares against the hash, or against a decoy when there is none, taking the same time. */
  async verify(password: string, hash: string | null | undefined): Promise<boolean> {
    const matches = await bcrypt.compare(password, hash ?? (await this.decoy));
    return matches && typeof hash === 'string';
  }
}
