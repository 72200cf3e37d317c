/** A response's JSON body, for tests that read it freely. */
export const readJson = (response: Response): Promise<any> => response.json()

/** GET a URL and read its JSON. */
export const getJson = async (url: string): Promise<any> => readJson(await fetch(url))
