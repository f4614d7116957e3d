/** An API request the server refuses: the HTTP status and a message saying what to send instead. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
