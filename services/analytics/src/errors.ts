import { AppError } from '@parley/service-kit';

/** The figures are for administrators; everyone else is refused with this code. */
export class AdminRequiredError extends AppError {
  constructor() {
    super('ANALYTICS_ADMIN_REQUIRED', 403, 'Only administrators may read analytics.');
  }
}
