"""The page kit every router uses (the generic ones in web/ and the features' own): the page's
context and rendering (`page`), the API's context (`api`), access by role and subtree
(`access`), dependencies (`deps`), recording forms (`recording`), file uploads (`uploads`),
list views (`views`), charts, exports and error pages. It imports no router and no feature."""
